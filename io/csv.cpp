#include "io/csv.h"

#include <fstream>
#include <sstream>

#include "io/atomic_file.h"
#include "io/error.h"

namespace unetx::io {
namespace {

// One pass of the RFC 4180 state machine; records are appended with the line they start on.
struct Parser {
  const std::string& text;
  const std::string& source;
  std::vector<std::vector<std::string>> records;
  std::vector<int> lines;

  void run() {
    size_t i = text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
    int line = 1;
    std::vector<std::string> record;
    std::string field;
    bool quoted = false, field_was_quoted = false;
    int record_line = 1;
    auto end_record = [&] {
      record.push_back(std::move(field));
      field.clear();
      // A blank line parses as one empty unquoted field: skip it.
      if (!(record.size() == 1 && record[0].empty() && !field_was_quoted)) {
        records.push_back(std::move(record));
        lines.push_back(record_line);
      }
      record.clear();
      field_was_quoted = false;
    };
    for (; i < text.size(); ++i) {
      const char c = text[i];
      if (quoted) {
        if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else if (c == '"') {
          quoted = false;
        } else {
          if (c == '\n') ++line;
          field += c;
        }
      } else if (c == '"' && field.empty()) {
        quoted = field_was_quoted = true;
      } else if (c == ',') {
        record.push_back(std::move(field));
        field.clear();
        field_was_quoted = false;
      } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
        continue;  // CRLF: the '\n' ends the record
      } else if (c == '\n') {
        end_record();
        record_line = ++line;
      } else {
        field += c;
      }
    }
    if (quoted) throw Error(source, "line " + std::to_string(record_line) + ": unterminated quote");
    if (!field.empty() || !record.empty() || field_was_quoted) end_record();
  }
};

bool needs_quotes(const std::string& cell) {
  if (cell.find_first_of(",\"\r\n") != std::string::npos) return true;
  return !cell.empty() && (cell.front() == ' ' || cell.back() == ' ');
}

void append_cell(std::string& out, const std::string& cell) {
  if (!needs_quotes(cell)) {
    out += cell;
    return;
  }
  out += '"';
  for (char c : cell) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

void append_record(std::string& out, const std::vector<std::string>& cells) {
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i > 0) out += ',';
    append_cell(out, cells[i]);
  }
  out += '\n';
}

}  // namespace

int CsvTable::column(const std::string& name) const {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return static_cast<int>(i);
  }
  return -1;
}

CsvTable parse_csv(const std::string& text, const std::string& source) {
  Parser parser{text, source, {}, {}};
  parser.run();
  if (parser.records.empty()) throw Error(source, "empty CSV (no header)");
  CsvTable table;
  table.header = std::move(parser.records[0]);
  for (size_t r = 1; r < parser.records.size(); ++r) {
    if (parser.records[r].size() != table.header.size()) {
      throw Error(source, "line " + std::to_string(parser.lines[r]) + ": " +
                              std::to_string(parser.records[r].size()) + " cells, header has " +
                              std::to_string(table.header.size()));
    }
    table.rows.push_back(std::move(parser.records[r]));
  }
  return table;
}

CsvTable read_csv(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw Error(path.string(), "no such file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string(), "cannot open for reading");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_csv(text.str(), path.string());
}

std::string format_csv(const CsvTable& table) {
  std::string out;
  append_record(out, table.header);
  for (const auto& row : table.rows) append_record(out, row);
  return out;
}

void write_csv(const fs::path& path, const CsvTable& table) {
  for (size_t r = 0; r < table.rows.size(); ++r) {
    if (table.rows[r].size() != table.header.size()) {
      throw Error(path.string(), "row " + std::to_string(r + 1) + " has " +
                                     std::to_string(table.rows[r].size()) + " cells, header has " +
                                     std::to_string(table.header.size()));
    }
  }
  write_text_atomic(path, format_csv(table));
}

}  // namespace unetx::io
