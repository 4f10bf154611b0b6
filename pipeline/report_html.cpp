#include "pipeline/report_html.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/ofstd/ofstd.h>

#include <fstream>
#include <iterator>
#include <sstream>

#include "io/error.h"

namespace unetx::pipeline {

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string base64(const std::vector<uint8_t>& bytes) {
  std::ostringstream out;
  if (!bytes.empty()) OFStandard::encodeBase64(out, bytes.data(), bytes.size());
  return out.str();
}

std::string png_data_uri(const std::filesystem::path& png_file) {
  std::ifstream in(png_file, std::ios::binary);
  if (!in) throw Error(png_file.string(), "cannot read PNG for the report");
  const std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(in),
                                   std::istreambuf_iterator<char>()};
  return "data:image/png;base64," + base64(bytes);
}

}  // namespace unetx::pipeline
