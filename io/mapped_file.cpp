#include "io/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "io/error.h"

namespace unetx::io {

namespace {

struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

Bytes map_file_bytes(const std::filesystem::path& path) {
  FdCloser file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (file.fd < 0) throw Error(path.string(), std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(file.fd, &st) != 0)
    throw Error(path.string(), std::string("cannot read size: ") + std::strerror(errno));
  const auto size = static_cast<size_t>(st.st_size);
  Bytes bytes;
  if (size == 0) return bytes;
  // PROT_WRITE with MAP_PRIVATE: copy-on-write pages, so a borrowing tensor may be modified in
  // place without a fault and without touching the file.
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, file.fd, 0);
  if (p == MAP_FAILED) throw Error(path.string(), std::string("cannot map: ") + std::strerror(errno));
  bytes.data = std::shared_ptr<unsigned char[]>(static_cast<unsigned char*>(p),
                                                [size](unsigned char* q) { ::munmap(q, size); });
  bytes.size = size;
  return bytes;
}

Bytes map_scratch_bytes(size_t size, const std::filesystem::path& dir) {
  Bytes bytes;
  if (size == 0) return bytes;
  const std::string where = dir.string();
  FdCloser file{::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, S_IRUSR | S_IWUSR)};
  if (file.fd < 0) {  // file systems without O_TMPFILE: a named file, unlinked right away
    std::string name = (dir / ".unetx-scratch-XXXXXX").string();
    file.fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (file.fd >= 0) ::unlink(name.c_str());
  }
  if (file.fd < 0)
    throw Error(where, std::string("cannot create a scratch file: ") + std::strerror(errno));
  // Reserve the blocks now: a full disk is then this one clean error, not a SIGBUS on the first
  // write to a page that has no block. File systems that cannot reserve get a sparse file.
  const int reserved = ::posix_fallocate(file.fd, 0, static_cast<off_t>(size));
  if (reserved != 0 && reserved != EOPNOTSUPP && reserved != EINVAL)
    throw Error(where, std::string("cannot reserve a scratch file of ") + std::to_string(size) +
                           " bytes: " + std::strerror(reserved));
  if (reserved != 0 && ::ftruncate(file.fd, static_cast<off_t>(size)) != 0)
    throw Error(where, std::string("cannot size a scratch file: ") + std::strerror(errno));
  void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, file.fd, 0);
  if (p == MAP_FAILED)
    throw Error(where, std::string("cannot map a scratch file: ") + std::strerror(errno));
  bytes.data = std::shared_ptr<unsigned char[]>(static_cast<unsigned char*>(p),
                                                [size](unsigned char* q) { ::munmap(q, size); });
  bytes.size = size;
  return bytes;
}

}  // namespace unetx::io
