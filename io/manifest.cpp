#include "io/manifest.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "io/csv.h"
#include "io/dicom_series.h"
#include "io/error.h"
#include "io/json_file.h"

namespace unetx::io {
namespace {

// Image extensions a folder scan picks up and a case id drops (longest first).
const char* const kImageExtensions[] = {".nii.gz", ".nii", ".mha", ".nrrd", ".nhdr", ".hdr"};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Length of the image extension `name` ends with, or 0.
size_t image_extension_length(const std::string& name) {
  const std::string l = lower(name);
  for (const char* ext : kImageExtensions) {
    const std::string e = ext;
    if (l.size() > e.size() && l.compare(l.size() - e.size(), e.size(), e) == 0) return e.size();
  }
  return 0;
}

std::string id_from_file(const fs::path& file) {
  const std::string name = file.filename().string();
  const size_t ext = image_extension_length(name);
  return ext ? name.substr(0, name.size() - ext) : file.stem().string();
}

fs::path resolve(const fs::path& base, const std::string& cell) {
  const fs::path p(cell);
  return p.is_absolute() ? p.lexically_normal() : (base / p).lexically_normal();
}

// Validates ids and refuses duplicates before any work starts. Missing image or label files
// are not fatal here: the command reports them up front and the other cases go on.
void check_cohort(const Cohort& cohort) {
  const std::string source = cohort.source.string();
  if (cohort.cases.empty()) throw Error(source, "no cases");
  std::set<std::string> seen;
  for (const Case& c : cohort.cases) {
    try {
      validate_case_id(c.id);
    } catch (const Error& e) {
      throw Error(source, e.reason());
    }
    if (!seen.insert(c.id).second) throw Error(source, "duplicate case id '" + c.id + "'");
  }
}

// Column indices of the channel images: "image", or "image_0", "image_1", ... without gaps.
std::vector<int> image_columns(const CsvTable& t, const std::string& source) {
  if (t.column("image") >= 0) {
    if (t.column("image_0") >= 0) throw Error(source, "has both 'image' and 'image_0' columns");
    return {t.column("image")};
  }
  std::vector<int> columns;
  for (int k = 0; t.column("image_" + std::to_string(k)) >= 0; ++k) {
    columns.push_back(t.column("image_" + std::to_string(k)));
  }
  if (columns.empty()) throw Error(source, "missing column 'image' (or image_0, image_1, ...)");
  for (const std::string& name : t.header) {
    if (name.rfind("image_", 0) == 0 && name.size() > 6 &&
        std::all_of(name.begin() + 6, name.end(), ::isdigit) &&
        std::stoul(name.substr(6)) >= columns.size()) {
      throw Error(source, "column '" + name + "' without the channels before it");
    }
  }
  return columns;
}

Cohort read_csv_cohort(const fs::path& file) {
  const std::string source = file.string();
  const CsvTable t = read_csv(file);
  const int id_col = t.column("case_id");
  if (id_col < 0) throw Error(source, "missing column 'case_id'");
  const std::vector<int> image_cols = image_columns(t, source);
  const int label_col = t.column("label");
  const fs::path base = file.parent_path();
  Cohort cohort{file, {}};
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const auto& row = t.rows[r];
    Case c;
    c.id = row[id_col];
    for (int col : image_cols) {
      if (row[col].empty()) {
        throw Error(source, "case '" + c.id + "': empty '" + t.header[col] + "' cell");
      }
      c.images.push_back(resolve(base, row[col]));
    }
    if (label_col >= 0 && !row[label_col].empty()) c.label = resolve(base, row[label_col]);
    for (size_t k = 0; k < t.header.size(); ++k) {
      const int col = static_cast<int>(k);
      if (col == id_col || col == label_col ||
          std::find(image_cols.begin(), image_cols.end(), col) != image_cols.end()) {
        continue;
      }
      c.extra[t.header[k]] = row[k];
    }
    cohort.cases.push_back(std::move(c));
  }
  return cohort;
}

// One MSD entry: a path string, a list of channel paths, or {"image": ..., "label": ...}.
Case msd_case(const nlohmann::json& entry, const fs::path& base, const std::string& source) {
  const nlohmann::json& image = entry.is_object() ? entry.value("image", nlohmann::json()) : entry;
  Case c;
  if (image.is_string()) {
    c.images.push_back(resolve(base, image.get<std::string>()));
  } else if (image.is_array() && !image.empty()) {
    for (const auto& p : image) {
      if (!p.is_string()) throw Error(source, "channel paths must be strings: " + image.dump());
      c.images.push_back(resolve(base, p.get<std::string>()));
    }
  } else {
    throw Error(source, "entry without an image path: " + entry.dump());
  }
  if (entry.is_object() && entry.contains("label") && entry["label"].is_string() &&
      !entry["label"].get<std::string>().empty()) {
    c.label = resolve(base, entry["label"].get<std::string>());
  }
  c.id = id_from_file(c.images[0]);
  return c;
}

Cohort read_msd_cohort(const fs::path& file, const std::string& section) {
  const std::string source = file.string();
  const nlohmann::json doc = read_json(file);
  if (!doc.is_object() || !doc.contains(section)) {
    throw Error(source, "no '" + section + "' section");
  }
  const nlohmann::json& list = doc[section];
  if (!list.is_array()) throw Error(source, "'" + section + "' is not a list");
  Cohort cohort{file, {}};
  for (const auto& entry : list)
    cohort.cases.push_back(msd_case(entry, file.parent_path(), source));
  return cohort;
}

// A folder cohort: each image file in it is a case (id = file name without extension), and
// each subfolder holding DICOM files is a case (id = subfolder name; its series is assembled
// when the case is read). A folder that holds only DICOM files is itself one case.
Cohort read_folder_cohort(const fs::path& folder) {
  std::vector<std::pair<std::string, fs::path>> found;  // (id, image path)
  bool has_loose_dicom = false;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.') continue;  // hidden files, and our own .tmp- files
    if (entry.is_directory(ec)) {
      if (is_dicom_folder(entry.path())) found.emplace_back(name, entry.path());
    } else if (image_extension_length(name) > 0) {
      found.emplace_back(id_from_file(entry.path()), entry.path());
    } else if (!has_loose_dicom && entry.is_regular_file(ec)) {
      has_loose_dicom = is_dicom_file(entry.path());
    }
  }
  if (ec) throw Error(folder.string(), "cannot list folder: " + ec.message());
  if (found.empty() && has_loose_dicom) {
    found.emplace_back(folder.filename().empty() ? folder.parent_path().filename().string()
                                                 : folder.filename().string(),
                       folder);
  }
  std::sort(found.begin(), found.end());
  Cohort cohort{folder, {}};
  for (const auto& [id, path] : found) cohort.cases.push_back(Case{id, {path}, {}, {}});
  return cohort;
}

}  // namespace

Cohort read_cohort(const fs::path& input, const std::string& section) {
  std::error_code ec;
  if (!fs::exists(input, ec)) throw Error(input.string(), "no such file or folder");
  Cohort cohort;
  if (fs::is_directory(input, ec)) {
    cohort = read_folder_cohort(input);
  } else if (lower(input.extension().string()) == ".json") {
    cohort = read_msd_cohort(input, section);
  } else {
    cohort = read_csv_cohort(input);
  }
  check_cohort(cohort);
  return cohort;
}

void validate_case_id(const std::string& id) {
  if (id.empty()) throw Error("case id", "empty case id");
  const bool bad_char = std::any_of(id.begin(), id.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c == '/' || c == '\\' || c < 0x20 || c == 0x7f;
  });
  if (bad_char || id.find("..") != std::string::npos) {
    throw Error("case id", "unsafe case id '" + id +
                               "': ids become file names and may not contain '/', '\\', '..' "
                               "or control characters");
  }
}

void write_manifest(const fs::path& folder, const std::vector<std::string>& columns,
                    const std::vector<ManifestRow>& rows) {
  CsvTable t;
  t.header.push_back("case_id");
  t.header.insert(t.header.end(), columns.begin(), columns.end());
  t.header.push_back("status");
  for (const ManifestRow& row : rows) {
    std::vector<std::string> cells{row.case_id};
    for (const std::string& name : columns) {
      const auto it = row.columns.find(name);
      cells.push_back(it != row.columns.end() ? it->second : "");
    }
    for (const auto& kv : row.columns) {
      if (std::find(columns.begin(), columns.end(), kv.first) == columns.end()) {
        spdlog::warn("{}: case {}: column '{}' is not in the manifest header, dropped",
                     (folder / "manifest.csv").string(), row.case_id, kv.first);
      }
    }
    cells.push_back(row.status);
    t.rows.push_back(std::move(cells));
  }
  write_csv(folder / "manifest.csv", t);
}

std::vector<ManifestRow> read_manifest(const fs::path& file) {
  const CsvTable t = read_csv(file);
  const int id_col = t.column("case_id");
  if (id_col < 0) throw Error(file.string(), "missing column 'case_id'");
  const int status_col = t.column("status");
  std::vector<ManifestRow> rows;
  for (const auto& cells : t.rows) {
    ManifestRow row;
    row.case_id = cells[id_col];
    row.status = status_col >= 0 ? cells[status_col] : "ok";
    for (size_t k = 0; k < t.header.size(); ++k) {
      if (static_cast<int>(k) != id_col && static_cast<int>(k) != status_col) {
        row.columns[t.header[k]] = cells[k];
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<fs::path> missing_files(const Case& c, bool with_label) {
  std::vector<fs::path> missing;
  std::error_code ec;
  for (const fs::path& image : c.images)
    if (!fs::exists(image, ec)) missing.push_back(image);
  if (with_label && c.label && !fs::exists(*c.label, ec)) missing.push_back(*c.label);
  return missing;
}

}  // namespace unetx::io
