// Cohort statistics of per-case metric values: descriptive summary with a bootstrap confidence
// interval, and paired tests between two methods evaluated on the same cases.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace unetx::pipeline {

struct Summary {
  int64_t n = 0;             // finite values used
  int64_t n_nan = 0;         // NaN values left out (e.g. distances of empty masks)
  double mean = 0, std = 0;  // std: sample standard deviation (n - 1); 0 for one value
  double median = 0, q1 = 0, q3 = 0, iqr = 0;  // linear-interpolation percentiles
  double ci_low = 0, ci_high = 0;  // percentile-bootstrap confidence interval of the mean
};

// Summarizes `values` (NaN left out). The bootstrap draws `resamples` resamples with a fixed
// `seed`, so reruns print the same interval. With no finite value every statistic is NaN.
Summary summarize(const std::vector<double>& values, double confidence = 0.95, int resamples = 2000,
                  uint64_t seed = 20261122);

// The p-th percentile (0..100) with linear interpolation between order statistics (numpy's
// default); NaN when `values` is empty.
double percentile(std::vector<double> values, double p);

struct PairedTest {
  int64_t n = 0;                 // pairs where both values are finite
  double mean_difference = 0;    // mean of a - b
  double t = 0, t_p = 0;         // paired Student t statistic and two-sided p-value
  double w = 0, wilcoxon_p = 0;  // Wilcoxon signed-rank: min(W+, W-) and two-sided p-value
  std::string wilcoxon_method;   // "exact" (n <= 50, no ties) or "normal" (tie-corrected)
};

// Paired comparison of a[i] with b[i]. Pairs with a NaN are left out; for Wilcoxon, zero
// differences are dropped first (Wilcoxon's original convention). Throws unetx::Error when the
// vectors differ in length.
PairedTest paired_test(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace unetx::pipeline
