// File-name tests every reader dispatches on.
#pragma once

#include <filesystem>
#include <string>

namespace unetx::io {

// True when the file name of `path` ends with `suffix` (lower case, e.g. ".nii.gz"), ignoring
// case, and is longer than it.
bool has_suffix(const std::filesystem::path& path, const std::string& suffix);

}  // namespace unetx::io
