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

}  // namespace unetx::io
