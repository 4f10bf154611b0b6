// Cohorts: the list of cases a command works on, read from a manifest CSV, an MSD-style
// dataset.json or a folder of images, and the output manifest every command leaves behind.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace unetx::io {

namespace fs = std::filesystem;

struct Case {
  std::string id;                            // safe as a file name (see validate_case_id)
  std::vector<fs::path> images;              // one per channel, absolute or relative to the cwd
  std::optional<fs::path> label;             // reference labels, when the manifest has them
  std::map<std::string, std::string> extra;  // any other manifest columns (e.g. "group")
};

struct Cohort {
  fs::path source;  // the manifest file or folder it was read from
  std::vector<Case> cases;
};

// Reads `input`: a CSV with header (case_id, image | image_0.., [label], extra...), an MSD
// dataset.json ("training"/"test" lists; `section` picks one, default "training"), or a folder
// of NIfTI/MHA/NRRD images (case id = file name without extension) and/or DICOM case folders
// (case id = folder name; a folder of DICOM files alone is one case). Paths in a manifest are
// relative to the manifest's folder. Throws unetx::Error naming the file on a missing/empty
// manifest or a duplicate or unsafe case id. Missing image/label files are not errors here
// (see missing_files): one absent case must not stop a cohort.
Cohort read_cohort(const fs::path& input, const std::string& section = "training");

// The case's image files (and label file when `with_label`) that do not exist.
std::vector<fs::path> missing_files(const Case& c, bool with_label = false);

// Throws unetx::Error unless `id` is non-empty and free of '/', '\\', "..", and control
// characters: case ids become output file names and must never escape -o.
void validate_case_id(const std::string& id);

// One row of an output manifest: case id, named output columns, and a status ("ok" or
// "failed: reason").
struct ManifestRow {
  std::string case_id;
  std::map<std::string, std::string> columns;
  std::string status = "ok";
};

// Writes `<folder>/manifest.csv` atomically: header case_id, `columns` (in that order), status.
void write_manifest(const fs::path& folder, const std::vector<std::string>& columns,
                    const std::vector<ManifestRow>& rows);

// Reads a manifest written by write_manifest (or any CSV with case_id) back into rows.
std::vector<ManifestRow> read_manifest(const fs::path& file);

}  // namespace unetx::io
