// AUROC and expected calibration error pooled over every voxel of a cohort, in a streaming form:
// each case adds fixed-size sums, the sums of any number of cases merge, and the cohort values
// come from the merged sums. Memory and the per-case file stay O(bins) however many voxels and
// cases there are. The per-case values of calibration.h are exact; these are what a cohort of
// thousands of cases can afford.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace unetx::xai {

// Counts of voxel uncertainties u >= 0 of erroneous (positive) and correct (negative) voxels in
// kBins bins of t = u / (1 + u) in [0, 1): bin floor(kBins t), so any u >= 0 has a bin and the
// order of the uncertainties is kept (negative u and NaN count as 0). AUROC from the two
// histograms counts a positive above every negative of a lower bin and ties within a bin 1/2;
// it equals auroc() whenever no bin holds two different uncertainties.
struct RankHistogram {
  static constexpr int kBins = 4096;
  std::vector<int64_t> positive = std::vector<int64_t>(kBins, 0);
  std::vector<int64_t> negative = std::vector<int64_t>(kBins, 0);

  // scores, positives: the same number of elements. Throws unetx::Error otherwise.
  void add(const at::Tensor& scores, const at::Tensor& positives);
  void merge(const RankHistogram& other);
  // In [0, 1]; NaN without a positive or without a negative.
  double auroc() const;
};

// Per equal-width confidence bin over [0, 1] (as expected_calibration_error): voxel count, sum of
// confidences and number of correct voxels. ECE = sum_b |correct_b - confidence_b| / N.
struct CalibrationSums {
  explicit CalibrationSums(int bins = 15);
  std::vector<int64_t> count;
  std::vector<double> confidence;
  std::vector<int64_t> correct;

  int bins() const { return static_cast<int>(count.size()); }
  // confidence in [0, 1], correct: the same number of elements. Throws unetx::Error otherwise.
  void add(const at::Tensor& confidence_values, const at::Tensor& correct_values);
  // Throws unetx::Error when the bin counts differ.
  void merge(const CalibrationSums& other);
  // NaN for no voxel.
  double ece() const;
};

// {"histogram_bins", "positive": [[bin, count], ...] (non-zero bins), "negative", "ece_bins",
// "ece": [[bin, count, confidence sum, correct], ...]} and back. Parsing throws unetx::Error
// naming `file` when the layout or the bin counts do not fit.
nlohmann::json pooled_to_json(const RankHistogram& h, const CalibrationSums& c);
void pooled_from_json(const nlohmann::json& j, const std::string& file, RankHistogram& h,
                      CalibrationSums& c);

}  // namespace unetx::xai
