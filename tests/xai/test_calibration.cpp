// AUROC, expected calibration error and correlations against values worked out by hand.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <vector>

#include "io/error.h"
#include "xai/calibration.h"

namespace unetx::xai {
namespace {

TEST(Auroc, CountsTiesAsOneHalf) {
  // Positives score 0.4 and 0.8; negatives 0.1, 0.35, 0.4. Of the 6 (positive, negative)
  // pairs the positive wins 5 and ties 1 (0.4 vs 0.4): (5 + 0.5) / 6.
  const at::Tensor scores = torch::tensor({0.1, 0.4, 0.35, 0.8, 0.4});
  const at::Tensor positives = torch::tensor({0, 1, 0, 1, 0});
  EXPECT_NEAR(auroc(scores, positives), 5.5 / 6.0, 1e-12);
}

TEST(Auroc, PerfectReversedAndUndefinedRankings) {
  const at::Tensor scores = torch::tensor({0.1f, 0.2f, 0.3f, 0.4f}).view({2, 2});
  EXPECT_DOUBLE_EQ(auroc(scores, torch::tensor({0, 0, 1, 1}).view({2, 2})), 1.0);
  EXPECT_DOUBLE_EQ(auroc(scores, torch::tensor({1, 1, 0, 0}).view({2, 2})), 0.0);
  EXPECT_DOUBLE_EQ(auroc(at::ones({4}), torch::tensor({1, 0, 1, 0})), 0.5);  // all tied
  EXPECT_TRUE(std::isnan(auroc(scores, at::zeros({4}))));                    // no positive
  EXPECT_THROW(auroc(scores, at::zeros({3})), Error);
}

TEST(ExpectedCalibrationError, MatchesAHandBinning) {
  // 5 bins of width 0.2. Bin [0.8, 1]: confidences .95 .85 .82 1.0 (mean .905), 3 of 4
  // correct; bin [0.4, 0.6): .55 .52 (mean .535), 1 of 2 correct; bin [0.2, 0.4): .3, correct.
  // ECE = 4/7 |.75 - .905| + 2/7 |.5 - .535| + 1/7 |1 - .3| = (0.62 + 0.07 + 0.7) / 7.
  const at::Tensor conf = torch::tensor({0.95, 0.85, 0.82, 0.55, 0.52, 1.0, 0.3}, at::kDouble);
  const at::Tensor correct = torch::tensor({1, 0, 1, 1, 0, 1, 1});
  EXPECT_NEAR(expected_calibration_error(conf, correct, 5), 1.39 / 7.0, 1e-12);
  // One bin: |mean accuracy - mean confidence| = |5/7 - 4.99/7|.
  EXPECT_NEAR(expected_calibration_error(conf, correct, 1), 0.01 / 7.0, 1e-12);
  EXPECT_THROW(expected_calibration_error(conf, correct, 0), Error);
}

TEST(ExpectedCalibrationError, PerfectlyCalibratedIsZero) {
  // Confidence 0.75 in one bin with 3 of 4 correct, confidence 1 with all correct.
  const at::Tensor conf = torch::tensor({0.75, 0.75, 0.75, 0.75, 1.0, 1.0}, at::kDouble);
  const at::Tensor correct = torch::tensor({1, 1, 1, 0, 1, 1});
  EXPECT_NEAR(expected_calibration_error(conf, correct, 10), 0.0, 1e-12);
}

TEST(Correlation, PearsonAndSpearmanOfAKnownSample) {
  const std::vector<double> x = {1, 2, 3, 4, 5}, y = {2, 4, 5, 4, 5};
  // Pearson: sxy = 6, sxx = 10, syy = 6 -> 6 / sqrt(60).
  EXPECT_NEAR(pearson(x, y), 6.0 / std::sqrt(60.0), 1e-12);
  // Ranks of y with ties averaged: 1, 2.5, 4.5, 2.5, 4.5 -> sxy = 7, sxx = 10, syy = 9.
  EXPECT_NEAR(spearman(x, y), 7.0 / std::sqrt(90.0), 1e-12);
  EXPECT_EQ(average_ranks(y), (std::vector<double>{1, 2.5, 4.5, 2.5, 4.5}));
  // A monotone but non-linear relation: Spearman 1, Pearson below 1.
  const std::vector<double> cubes = {1, 8, 27, 64, 125};
  EXPECT_NEAR(spearman(x, cubes), 1.0, 1e-12);
  EXPECT_LT(pearson(x, cubes), 0.99);
  EXPECT_NEAR(spearman(x, {5, 4, 3, 2, 1}), -1.0, 1e-12);
}

TEST(Correlation, NaNPairsAreLeftOutAndDegenerateInputsGiveNaN) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_NEAR(pearson({1, 2, nan, 3, 4, 5}, {2, 4, 1, 5, 4, 5}), 6.0 / std::sqrt(60.0), 1e-12);
  EXPECT_TRUE(std::isnan(pearson({1, 2, 3}, {7, 7, 7})));
  EXPECT_TRUE(std::isnan(spearman({1}, {2})));
  EXPECT_THROW(pearson({1, 2}, {1}), Error);
}

}  // namespace
}  // namespace unetx::xai
