#include "io/file_name.h"

#include <algorithm>
#include <cctype>

namespace unetx::io {

bool has_suffix(const std::filesystem::path& path, const std::string& suffix) {
  std::string name = path.filename().string();
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name.size() > suffix.size() &&
         name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace unetx::io
