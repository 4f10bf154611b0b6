#include "io/json_file.h"

#include <fstream>

#include "io/atomic_file.h"
#include "io/error.h"

namespace unetx::io {

nlohmann::json read_json(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw Error(path.string(), "no such file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string(), "cannot open for reading");
  try {
    return nlohmann::json::parse(in);
  } catch (const nlohmann::json::exception& e) {
    // Drop nlohmann's "[json.exception.parse_error.101] " prefix: users need the position.
    std::string reason = e.what();
    const size_t bracket = reason.find("] ");
    if (reason.rfind("[json.exception.", 0) == 0 && bracket != std::string::npos) {
      reason = reason.substr(bracket + 2);
    }
    throw Error(path.string(), "invalid JSON: " + reason);
  }
}

void write_json(const fs::path& path, const nlohmann::json& value) {
  std::string text;
  try {
    text = value.dump(2) + "\n";
  } catch (const nlohmann::json::exception& e) {  // e.g. invalid UTF-8 in a string
    throw Error(path.string(), std::string("cannot serialise JSON: ") + e.what());
  }
  write_text_atomic(path, text);
}

}  // namespace unetx::io
