// What training reads: the preprocessed cases named in a preprocess output manifest, and the
// train/validation split, which is written once and reused so reruns and resumes agree.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "pipeline/case_prep.h"

namespace unetx::pipeline {

// Loads every case with status ok from <folder>/manifest.csv (columns image, label) as
// PreparedCase on the plan grid. Throws unetx::Error naming the file that fails to read.
std::vector<PreparedCase> load_preprocessed(const std::filesystem::path& folder);

struct Split {
  std::vector<std::string> train;
  std::vector<std::string> val;
};

// Reads `file` when it exists (and every id in it is known), else shuffles `ids` with `seed`,
// holds out round(val_fraction * n) cases (at least 1, and at least 1 left to train), and
// writes the split to `file`. Throws unetx::Error when fewer than 2 cases are given.
Split load_or_make_split(const std::filesystem::path& file, const std::vector<std::string>& ids,
                         double val_fraction, uint64_t seed);

}  // namespace unetx::pipeline
