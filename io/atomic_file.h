// Atomic writes: every unetx output is written under a temporary name in its final folder and
// renamed into place, so a killed job never leaves a half-written file under a final name and a
// rerun can trust is_complete_file() to skip finished cases.
#pragma once

#include <filesystem>
#include <string>

namespace unetx::io {

namespace fs = std::filesystem;

// RAII temporary for one output file. temp_path() is `<dir>/.tmp-<pid>-<n>-<final name>`: same
// folder (so rename is atomic on one file system), hidden, and ending with the full final name
// so extension-driven writers (ITK: .nii.gz, .mha ...) pick the right format. The parent
// folder is created (user's umask) on construction. commit() renames temp -> final, replacing
// any existing file; without commit() the destructor removes the temporary.
class AtomicFile {
 public:
  explicit AtomicFile(fs::path final_path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  const fs::path& temp_path() const { return temp_path_; }
  const fs::path& final_path() const { return final_path_; }
  bool committed() const { return committed_; }

  // Throws unetx::Error (naming the final path) when the temporary is missing or the rename
  // fails; at most once.
  void commit();

 private:
  fs::path final_path_;
  fs::path temp_path_;
  bool committed_ = false;
};

// Writes `text` byte for byte to `path` atomically. Throws unetx::Error naming the file.
void write_text_atomic(const fs::path& path, const std::string& text);

// True for an existing regular file (symlinks followed) of size > 0, or a non-empty folder (a
// multi-file output such as a DICOM series, renamed into place once complete): what a rerun
// requires before it skips a case's output.
bool is_complete_file(const fs::path& path);

}  // namespace unetx::io
