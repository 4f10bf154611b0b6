#include "pipeline/training_data.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <set>

#include "io/error.h"
#include "io/image_io.h"
#include "io/json_file.h"
#include "io/manifest.h"

namespace unetx::pipeline {

namespace fs = std::filesystem;

std::vector<PreparedCase> load_preprocessed(const fs::path& folder) {
  const fs::path manifest = folder / "manifest.csv";
  if (!fs::exists(manifest))
    throw Error(manifest.string(), "no preprocessed cases: run `unetx preprocess` first");
  std::vector<PreparedCase> cases;
  for (const auto& row : io::read_manifest(manifest)) {
    if (row.status != "ok") continue;
    auto image_col = row.columns.find("image");
    auto label_col = row.columns.find("label");
    if (image_col == row.columns.end() || label_col == row.columns.end() ||
        label_col->second.empty())
      throw Error(manifest.string(), "case " + row.case_id + " has no preprocessed image/label");
    io::Volume image = io::read_image(folder / image_col->second);
    io::Volume label = io::read_image(folder / label_col->second);
    PreparedCase c;
    c.id = row.case_id;
    c.image = image.data.to(at::kFloat);
    c.label = label.data.to(at::kByte);
    c.geometry = image.geometry;
    c.original_geometry = image.geometry;
    c.original_size = image.size();
    cases.push_back(std::move(c));
  }
  return cases;
}

Split load_or_make_split(const fs::path& file, const std::vector<std::string>& ids,
                         double val_fraction, uint64_t seed) {
  if (ids.size() < 2)
    throw Error(
        file.parent_path().string(),
        "training needs at least 2 cases (one to validate), got " + std::to_string(ids.size()));
  const std::set<std::string> known(ids.begin(), ids.end());
  if (fs::exists(file)) {
    auto j = io::read_json(file);
    Split split{j.at("train").get<std::vector<std::string>>(),
                j.at("val").get<std::vector<std::string>>()};
    bool all_known = true;
    for (const auto* part : {&split.train, &split.val})
      for (const auto& id : *part) all_known = all_known && known.count(id) > 0;
    if (all_known && !split.train.empty() && !split.val.empty()) return split;
  }
  std::vector<std::string> shuffled = ids;
  std::mt19937_64 rng(seed);
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  auto n_val = static_cast<size_t>(std::lround(val_fraction * static_cast<double>(ids.size())));
  n_val = std::clamp<size_t>(n_val, 1, ids.size() - 1);
  Split split;
  split.val.assign(shuffled.begin(), shuffled.begin() + static_cast<std::ptrdiff_t>(n_val));
  split.train.assign(shuffled.begin() + static_cast<std::ptrdiff_t>(n_val), shuffled.end());
  std::sort(split.val.begin(), split.val.end());
  std::sort(split.train.begin(), split.train.end());
  io::write_json(file, {{"train", split.train}, {"val", split.val}, {"seed", seed}});
  return split;
}

}  // namespace unetx::pipeline
