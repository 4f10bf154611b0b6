#include "pipeline/evaluate_folds.h"

#include <cmath>
#include <limits>
#include <utility>

namespace unetx::pipeline {
namespace {

bool as_integer(const std::string& s, long long& out) {
  if (s.empty() || s.size() > 18) return false;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size()) return false;
  for (size_t k = i; k < s.size(); ++k)
    if (s[k] < '0' || s[k] > '9') return false;
  out = std::stoll(s);
  return true;
}

// Mean and sample std of the non-NaN values (NaN, 0 for a single value; NaN, NaN for none).
void mean_std(const std::vector<double>& values, int64_t& n, double& mean, double& std) {
  n = 0;
  double sum = 0;
  for (double v : values)
    if (!std::isnan(v)) sum += v, ++n;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  mean = n > 0 ? sum / static_cast<double>(n) : nan;
  double ss = 0;
  for (double v : values)
    if (!std::isnan(v)) ss += (v - mean) * (v - mean);
  std = n > 1 ? std::sqrt(ss / static_cast<double>(n - 1)) : (n == 1 ? 0.0 : nan);
}

// Per label and fold, Dice over all the fold's voxels together: each case's overlap recovered as
// dice * (|P| + |R|) / 2 from its predicted and reference volumes. Rows without a finite Dice
// (both empty) add nothing.
void add_pooled_dice(const std::vector<CaseMetricRow>& rows,
                     std::map<int64_t, std::map<std::string, std::vector<double>, FoldNameLess>>&
                         pooled) {
  std::map<int64_t, std::map<std::string, std::pair<double, double>, FoldNameLess>> sums;
  for (const auto& r : rows) {
    if (r.fold.empty()) continue;
    const auto dice = r.values.find("dice"), p = r.values.find("vol_pred_ml"),
               ref = r.values.find("vol_ref_ml");
    if (dice == r.values.end() || p == r.values.end() || ref == r.values.end()) continue;
    auto& [overlap, total] = sums[r.label][r.fold];
    if (std::isfinite(dice->second) && std::isfinite(p->second + ref->second)) {
      overlap += dice->second * (p->second + ref->second);
      total += p->second + ref->second;
    }
  }
  for (const auto& [label, folds] : sums)
    for (const auto& [fold, s] : folds)
      pooled[label][fold] = {s.second > 0 ? s.first / s.second
                                          : std::numeric_limits<double>::quiet_NaN()};
}

}  // namespace

bool FoldNameLess::operator()(const std::string& a, const std::string& b) const {
  long long x = 0, y = 0;
  if (as_integer(a, x) && as_integer(b, y) && x != y) return x < y;
  return a < b;
}

CrossValidation cross_validation(const std::vector<CaseMetricRow>& rows) {
  // metric -> label -> fold -> values
  std::map<std::string, std::map<int64_t, std::map<std::string, std::vector<double>, FoldNameLess>>>
      values;
  for (const auto& r : rows) {
    if (r.fold.empty()) continue;
    for (const auto& [name, v] : r.values) values[name][r.label][r.fold].push_back(v);
  }
  if (values.count("dice")) {
    std::map<int64_t, std::map<std::string, std::vector<double>, FoldNameLess>> pooled;
    add_pooled_dice(rows, pooled);
    if (!pooled.empty()) values[kPooledDice] = std::move(pooled);
  }
  CrossValidation cv;
  for (const auto& [name, labels] : values) {
    for (const auto& [label, folds] : labels) {
      FoldSummary& s = cv[name][label];
      std::vector<double> means;
      for (const auto& [fold, v] : folds) {
        int64_t n = 0;
        double mean = 0, std = 0;
        mean_std(v, n, mean, std);
        s.fold_means[fold] = mean;
        means.push_back(mean);
      }
      mean_std(means, s.folds, s.mean, s.std);
    }
  }
  return cv;
}

}  // namespace unetx::pipeline
