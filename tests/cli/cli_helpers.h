// Running the real `unetx` binary from tests: exit code plus captured stdout/stderr.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace unetx::testing {

namespace fs = std::filesystem;

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

inline std::string slurp(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Lines in a command's output (a one-line error must be exactly one).
inline int count_lines(const std::string& s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

// Runs `unetx <args>` with a shell; `work` holds the captured streams.
inline CommandResult unetx(const std::string& args, const fs::path& work) {
  fs::create_directories(work);
  const fs::path out = work / "stdout.txt", err = work / "stderr.txt";
  const std::string command = std::string(UNETX_BINARY) + " " + args + " --threads 2 > '" +
                              out.string() + "' 2> '" + err.string() + "'";
  const int status = std::system(command.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

// The folders fresh_dir made in this process: removed at exit when every test passed, kept for
// a look when one failed (a CLI run writes megabytes; CI machines must not fill up).
struct FreshDirs {
  std::vector<fs::path> dirs;
  ~FreshDirs() {
    if (!::testing::UnitTest::GetInstance()->Passed()) return;
    std::error_code ec;
    for (const auto& d : dirs) fs::remove_all(d, ec);
  }
};

inline fs::path fresh_dir(const std::string& name) {
  static FreshDirs made;
  fs::path dir =
      fs::temp_directory_path() / ("unetx_cli_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  made.dirs.push_back(dir);
  return dir;
}

// Files whose name marks them as unfinished atomic writes.
inline int temp_files_under(const fs::path& dir) {
  int n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.path().filename().string().rfind(".tmp", 0) == 0) ++n;
  return n;
}

}  // namespace unetx::testing
