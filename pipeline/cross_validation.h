// K-fold cross-validation splits: made once from the case ids and a seed, written to a file and
// reused, so every fold of a study (and every rerun or resume of a fold) sees the same cases.
// With a stratification column, each stratum is spread evenly over the folds, so a rare group
// (a scanner, a site, a pathology grade) lands in every fold's validation set instead of one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "pipeline/training_data.h"

namespace unetx::pipeline {

struct Folds {
  uint64_t seed = 0;
  std::string stratify;                       // column the folds were stratified on; "" = none
  std::vector<std::vector<std::string>> val;  // val[k]: the cases fold k holds out, sorted

  int count() const { return static_cast<int>(val.size()); }
  // Fold k's split: its held-out cases validate, every other case trains.
  Split split(int k) const;
};

// Shuffles `ids` with `seed` and deals them round-robin into k folds (sizes differ by at most
// one). With `strata` (case id -> group), cases are dealt group by group, largest group first,
// continuing the deal where the previous group stopped, so each group's cases spread over the
// folds as evenly as its size allows and the fold sizes still differ by at most one.
// Throws unetx::Error when k < 2 or k exceeds the number of cases, or a case has no group.
Folds make_folds(const std::vector<std::string>& ids, int k, uint64_t seed,
                 const std::map<std::string, std::string>& strata = {},
                 const std::string& stratify_column = "");

// Reads `file` when it exists and holds k folds over exactly `ids`; a file made for other cases
// or another k is an error naming it (the study's splits are not silently redrawn: delete the
// file to start a new study). Otherwise makes the folds and writes them atomically.
Folds load_or_make_folds(const std::filesystem::path& file, const std::vector<std::string>& ids,
                         int k, uint64_t seed, const std::map<std::string, std::string>& strata = {},
                         const std::string& stratify_column = "");

// case id -> value of `column` in a cohort manifest (CSV). Throws unetx::Error naming the file
// when the column is absent.
std::map<std::string, std::string> read_strata(const std::filesystem::path& manifest,
                                               const std::string& column);

}  // namespace unetx::pipeline
