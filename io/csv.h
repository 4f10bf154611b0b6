// Small CSV tables (manifests, metrics): RFC 4180 reading and writing. Hand-written because
// Debian ships no well-kept C++ CSV library, and manifests need only quoting, CRLF tolerance and
// clear errors.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace unetx::io {

namespace fs = std::filesystem;

// A header plus rows; every row has exactly header.size() cells.
struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  // Index of the column named `name`, or -1 when absent.
  int column(const std::string& name) const;
};

// Parses CSV text: fields separated by ',', quoted fields may hold ',', '"' (doubled) and line
// breaks; CRLF and LF both end a record; blank lines and a UTF-8 BOM are skipped. The first
// record is the header. `source` names the input in errors. Throws unetx::Error(source,
// "line N: ...") on a row whose cell count differs from the header or an unterminated quote.
CsvTable parse_csv(const std::string& text, const std::string& source);

// Reads and parses a CSV file. Throws unetx::Error naming the file (missing, empty, ragged).
CsvTable read_csv(const fs::path& path);

// Formats a table, quoting only cells that need it; records end with '\n'.
std::string format_csv(const CsvTable& table);

// Writes a table atomically. Throws unetx::Error naming the file, also on a ragged row.
void write_csv(const fs::path& path, const CsvTable& table);

}  // namespace unetx::io
