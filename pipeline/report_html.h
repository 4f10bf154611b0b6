// Small text helpers of the HTML report: escaping and data: URIs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace unetx::pipeline {

// Escapes & < > " ' so any input string (case ids come from manifests) is inert both as element
// text and inside a quoted attribute value.
std::string html_escape(const std::string& text);

// RFC 4648 base64 of `bytes`, no line breaks (DCMTK's OFStandard::encodeBase64, already linked).
std::string base64(const std::vector<uint8_t>& bytes);

// "data:image/png;base64,..." of a PNG file's bytes. Throws unetx::Error naming the file.
std::string png_data_uri(const std::filesystem::path& png_file);

}  // namespace unetx::pipeline
