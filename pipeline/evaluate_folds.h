// Cross-validation summary of per-case metrics: the mean of each metric over the cases of each
// fold, then the mean and sample standard deviation of those fold means (how the papers report
// k-fold results: "Dice 0.91 ± 0.02 over 5 folds"). Beside them, the pooled Dice of each fold:
// Dice over all the fold's held-out voxels together, as if its cases were one volume. The two
// differ when cases differ in size: a case holding 1 ml of a structure weighs as much as one
// holding 1 l in the case mean, and as its voxels in the pooled Dice.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "pipeline/case_metrics.h"

namespace unetx::pipeline {

// Orders fold names as numbers when both are integers ("2" before "10"), else as text.
struct FoldNameLess {
  bool operator()(const std::string& a, const std::string& b) const;
};

struct FoldSummary {
  // fold name -> mean over the fold's cases, NaN values left out (NaN when none is finite).
  std::map<std::string, double, FoldNameLess> fold_means;
  int64_t folds = 0;  // fold means that are not NaN, the n of mean and std
  double mean = 0;    // mean of those fold means; NaN when there is none
  double std = 0;     // their sample standard deviation (n - 1); 0 for one fold
};

// The metric name of the pooled Dice in CrossValidation (a fold "mean" of one value per fold).
inline constexpr const char* kPooledDice = "dice_pooled";

// metric -> label -> summary over folds.
using CrossValidation = std::map<std::string, std::map<int64_t, FoldSummary>>;

// From the rows that carry a fold (rows without one are left out); empty when none does. Every
// fold that has rows of a label appears in that label's fold_means, for every metric.
CrossValidation cross_validation(const std::vector<CaseMetricRow>& rows);

}  // namespace unetx::pipeline
