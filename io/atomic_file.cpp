#include "io/atomic_file.h"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <system_error>

#include "io/error.h"

namespace unetx::io {
namespace {

// Unique per process; the pid makes it unique across ranks sharing one output folder.
std::atomic<unsigned long> temp_counter{0};

}  // namespace

AtomicFile::AtomicFile(fs::path final_path) : final_path_(std::move(final_path)) {
  if (final_path_.filename().empty()) {
    throw Error(final_path_.string(), "output path has no file name");
  }
  const fs::path parent = final_path_.parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec) throw Error(parent.string(), "cannot create folder: " + ec.message());
  }
  temp_path_ = parent / (".tmp-" + std::to_string(::getpid()) + "-" +
                         std::to_string(temp_counter++) + "-" + final_path_.filename().string());
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    std::error_code ec;  // destructors must not throw; a leftover .tmp- file is harmless
    fs::remove(temp_path_, ec);
  }
}

void AtomicFile::commit() {
  if (committed_) throw Error(final_path_.string(), "AtomicFile committed twice");
  std::error_code ec;
  if (!fs::exists(temp_path_, ec)) {
    throw Error(final_path_.string(), "nothing was written to " + temp_path_.string());
  }
  fs::rename(temp_path_, final_path_, ec);
  if (ec) throw Error(final_path_.string(), "cannot rename temporary file: " + ec.message());
  committed_ = true;
}

void write_text_atomic(const fs::path& path, const std::string& text) {
  AtomicFile file(path);
  {
    std::ofstream out(file.temp_path(), std::ios::binary | std::ios::trunc);
    if (!out) throw Error(path.string(), "cannot open for writing");
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out) throw Error(path.string(), "write failed (disk full?)");
  }
  file.commit();
}

bool is_complete_file(const fs::path& path) {
  std::error_code ec;
  // A folder output (a DICOM series) is renamed into place only when complete.
  if (fs::is_directory(path, ec)) return !fs::is_empty(path, ec) && !ec;
  if (!fs::is_regular_file(path, ec)) return false;
  const auto size = fs::file_size(path, ec);
  return !ec && size > 0;
}

}  // namespace unetx::io
