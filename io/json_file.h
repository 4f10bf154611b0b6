// JSON files (plans, summaries, dataset.json).
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>

namespace unetx::io {

namespace fs = std::filesystem;

// Parses a JSON file. Throws unetx::Error(path, reason) when it is missing or malformed; the
// reason carries nlohmann's position ("parse error at line 3, column 5: ...").
nlohmann::json read_json(const fs::path& path);

// Writes `value` atomically, indented by 2, with a final newline.
void write_json(const fs::path& path, const nlohmann::json& value);

}  // namespace unetx::io
