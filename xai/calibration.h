// How well uncertainty tracks error: AUROC of voxel uncertainty for detecting voxel errors,
// expected calibration error of the predicted class's probability, and correlations of
// per-case values over a cohort.
#pragma once

#include <ATen/ATen.h>

#include <vector>

namespace unetx::xai {

// Throws unetx::Error(what, ...) unless `values` and `labels` hold as many elements.
void check_same_count(const at::Tensor& values, const at::Tensor& labels, const char* what);

// Area under the ROC curve of `scores` ranking `positives` (non-zero) above the rest: the
// probability that a random positive scores higher than a random negative, ties counting 1/2
// (Mann-Whitney U with average ranks). scores and positives: same number of elements, any
// shape. NaN when there is no positive or no negative. Throws unetx::Error on a size mismatch.
double auroc(const at::Tensor& scores, const at::Tensor& positives);

// Expected calibration error with `bins` equal-width confidence bins over [0, 1] (bin b holds
// b/B <= c < (b+1)/B; c = 1 goes to the last bin): sum over bins of n_b / N |acc_b - conf_b|,
// where acc_b is the fraction of `correct` and conf_b the mean confidence in bin b. confidence in
// [0, 1] and correct: same number of elements. NaN for no element. Throws unetx::Error on a size
// mismatch or bins < 1.
double expected_calibration_error(const at::Tensor& confidence, const at::Tensor& correct,
                                  int bins = 15);

// Pearson's r of paired values; pairs with a NaN are left out. NaN for fewer than 2 pairs or a
// constant side. Throws unetx::Error when the vectors differ in length.
double pearson(const std::vector<double>& a, const std::vector<double>& b);

// Spearman's rho: Pearson's r of the ranks (ties get their average rank); NaN pairs left out.
double spearman(const std::vector<double>& a, const std::vector<double>& b);

// 1-based ranks of `values`, ties sharing their average rank.
std::vector<double> average_ranks(const std::vector<double>& values);

}  // namespace unetx::xai
