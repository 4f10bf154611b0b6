// Cohort statistics against values computed independently with numpy/scipy 1.10
// (ttest_rel, wilcoxon, percentile) and against hand-computed cases.
#include "pipeline/statistics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <tuple>

#include "io/error.h"
#include "pipeline/evaluate_folds.h"

namespace unetx::pipeline {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(Statistics, SummaryLeavesNaNOutAndMatchesNumpy) {
  const Summary s = summarize({0.5, 0.9, 0.7, 0.8, kNaN, 0.6});
  EXPECT_EQ(s.n, 5);
  EXPECT_EQ(s.n_nan, 1);
  EXPECT_NEAR(s.mean, 0.7, 1e-12);
  EXPECT_NEAR(s.std, 0.158113883008419, 1e-12);  // numpy std(ddof=1)
  EXPECT_NEAR(s.median, 0.7, 1e-12);
  EXPECT_NEAR(s.q1, 0.6, 1e-12);
  EXPECT_NEAR(s.q3, 0.8, 1e-12);
  EXPECT_NEAR(s.iqr, 0.2, 1e-12);
  EXPECT_LT(s.ci_low, s.mean);
  EXPECT_GT(s.ci_high, s.mean);
}

TEST(Statistics, ConstantValuesHaveAZeroWidthInterval) {
  const Summary s = summarize({0.8, 0.8, 0.8});
  EXPECT_DOUBLE_EQ(s.ci_low, 0.8);
  EXPECT_DOUBLE_EQ(s.ci_high, 0.8);
  EXPECT_NEAR(s.std, 0.0, 1e-12);
  EXPECT_TRUE(std::isnan(summarize({kNaN}).mean));
}

TEST(Statistics, BootstrapIntervalCoversTheNormalTheoryInterval) {
  // For 400 draws the bootstrap interval of the mean approaches mean +- 1.96 sd / sqrt(n).
  std::mt19937_64 rng(3);
  std::normal_distribution<double> normal(0.8, 0.1);
  std::vector<double> v(400);
  for (double& x : v) x = normal(rng);
  const Summary s = summarize(v);
  const double half = 1.959964 * s.std / std::sqrt(400.0);
  EXPECT_NEAR(s.ci_low, s.mean - half, 0.15 * half);
  EXPECT_NEAR(s.ci_high, s.mean + half, 0.15 * half);
  // Fixed seed: the same interval every run.
  EXPECT_EQ(summarize(v).ci_low, s.ci_low);
}

TEST(Statistics, PercentileInterpolatesLinearly) {
  EXPECT_NEAR(percentile({4.0, 1.0, 3.0, 2.0}, 95), 3.85, 1e-12);  // numpy.percentile
  EXPECT_DOUBLE_EQ(percentile({7.0}, 95), 7.0);
  EXPECT_TRUE(std::isnan(percentile({}, 50)));
}

TEST(Statistics, PairedTestsMatchScipy) {
  // scipy.stats.ttest_rel -> t 3.345980214558136, p 0.012318359081772874;
  // scipy.stats.wilcoxon -> statistic 1.0, p 0.015625 (exact: 2 * 2 / 2^8).
  const PairedTest r = paired_test({12, 15, 9, 20, 17, 11, 14, 18}, {10, 11, 10, 14, 10, 6, 11, 5});
  EXPECT_EQ(r.n, 8);
  EXPECT_NEAR(r.mean_difference, 4.875, 1e-12);
  EXPECT_NEAR(r.t, 3.345980214558136, 1e-9);
  EXPECT_NEAR(r.t_p, 0.012318359081772874, 1e-9);
  EXPECT_EQ(r.w, 1.0);
  EXPECT_NEAR(r.wilcoxon_p, 0.015625, 1e-12);
  EXPECT_EQ(r.wilcoxon_method, "exact");
}

TEST(Statistics, WilcoxonWithTiesUsesTheTieCorrectedNormalApproximation) {
  // scipy.stats.wilcoxon(d, correction=False, mode="approx") -> statistic 1.5,
  // p 0.004904671330442961; a t-test of d against 0 via ttest_rel(d, zeros).
  const std::vector<double> d{1, 2, 2, 3, 3, 3, -1, 4, 5, 6, 2};
  const PairedTest r = paired_test(d, std::vector<double>(d.size(), 0.0));
  EXPECT_EQ(r.w, 1.5);
  EXPECT_EQ(r.wilcoxon_method, "normal");
  EXPECT_NEAR(r.wilcoxon_p, 0.004904671330442961, 1e-12);
  // One-sample t-test of 1..5 against 0: t = 4.242640687119285, p = 0.013235599563682695.
  const PairedTest t = paired_test({1, 2, 3, 4, 5}, {0, 0, 0, 0, 0});
  EXPECT_NEAR(t.t, 4.242640687119285, 1e-12);
  EXPECT_NEAR(t.t_p, 0.013235599563682695, 1e-9);
  EXPECT_NEAR(t.wilcoxon_p, 0.0625, 1e-12);  // all five positive: 2 / 2^5
}

TEST(Statistics, PairedTestRefusesUnequalLengthsAndSkipsNaNPairs) {
  EXPECT_THROW(paired_test({1, 2}, {1}), Error);
  const PairedTest r = paired_test({1, kNaN, 3}, {0, 1, 1});
  EXPECT_EQ(r.n, 2);
  EXPECT_NEAR(r.mean_difference, 1.5, 1e-12);
}

// Fold means by hand. Dice: fold 0 {0.8, 0.6} -> 0.7, fold 1 {0.9, NaN} -> 0.9, fold 2 {0.5},
// fold 10 {0.7}; over folds mean 0.7, std sqrt((0 + 0.04 + 0.04 + 0) / 3). HD95: fold 0 only
// NaN -> NaN (left out), folds 1, 2, 10 {2}, {4}, {6} -> mean 4, std 2 over 3 folds.
TEST(CrossValidation, MeanAndStdOverFoldMeans) {
  const std::vector<std::tuple<std::string, std::string, double, double>> cases{
      {"a", "0", 0.8, kNaN}, {"b", "0", 0.6, kNaN}, {"c", "1", 0.9, 2.0}, {"d", "1", kNaN, kNaN},
      {"e", "2", 0.5, 4.0},  {"f", "10", 0.7, 6.0}, {"g", "", 0.0, 100.0}};
  std::vector<CaseMetricRow> rows;
  for (const auto& [id, fold, dice, hd95] : cases)
    rows.push_back({id, 1, "", {{"dice", dice}, {"hd95", hd95}}, fold});
  rows.push_back({"a", 2, "", {{"dice", 0.3}, {"hd95", 1.0}}, "0"});  // label 2: one fold

  const CrossValidation cv = cross_validation(rows);
  const FoldSummary& dice = cv.at("dice").at(1);
  std::vector<std::string> order;
  for (const auto& [fold, mean] : dice.fold_means) order.push_back(fold);
  EXPECT_EQ(order, (std::vector<std::string>{"0", "1", "2", "10"}));  // "g" has no fold
  EXPECT_NEAR(dice.fold_means.at("0"), 0.7, 1e-12);
  EXPECT_NEAR(dice.fold_means.at("1"), 0.9, 1e-12);
  EXPECT_EQ(dice.folds, 4);
  EXPECT_NEAR(dice.mean, 0.7, 1e-12);
  EXPECT_NEAR(dice.std, std::sqrt(0.08 / 3), 1e-12);

  const FoldSummary& hd95 = cv.at("hd95").at(1);
  EXPECT_TRUE(std::isnan(hd95.fold_means.at("0")));
  EXPECT_EQ(hd95.folds, 3);
  EXPECT_NEAR(hd95.mean, 4.0, 1e-12);
  EXPECT_NEAR(hd95.std, 2.0, 1e-12);

  const FoldSummary& one = cv.at("dice").at(2);
  EXPECT_EQ(one.folds, 1);
  EXPECT_NEAR(one.mean, 0.3, 1e-12);
  EXPECT_EQ(one.std, 0.0);

  for (auto& r : rows) r.fold.clear();
  EXPECT_TRUE(cross_validation(rows).empty());
}

// Pooled Dice by hand. Fold 0: a 1 ml reference with 15 ml predicted, Dice 0.1 (overlap
// 0.1 * 16 / 2 = 0.8 ml), and a large case, Dice 0.9 on 100 + 110 ml (overlap 94.5 ml):
// pooled 2 * 95.3 / 226 = 0.84336..., while the case mean is 0.5. Fold 1: Dice 1 on 50 + 50 ml,
// and a case empty on both sides (Dice NaN), which adds nothing: pooled 1.
TEST(CrossValidation, PooledDiceWeighsCasesByTheirVoxels) {
  std::vector<CaseMetricRow> rows{
      {"a", 1, "", {{"dice", 0.1}, {"vol_pred_ml", 15.0}, {"vol_ref_ml", 1.0}}, "0"},
      {"b", 1, "", {{"dice", 0.9}, {"vol_pred_ml", 100.0}, {"vol_ref_ml", 110.0}}, "0"},
      {"c", 1, "", {{"dice", 1.0}, {"vol_pred_ml", 50.0}, {"vol_ref_ml", 50.0}}, "1"},
      {"d", 1, "both", {{"dice", kNaN}, {"vol_pred_ml", 0.0}, {"vol_ref_ml", 0.0}}, "1"}};
  const CrossValidation cv = cross_validation(rows);
  const FoldSummary& pooled = cv.at(kPooledDice).at(1);
  const double fold0 = 2 * 95.3 / 226;
  EXPECT_NEAR(pooled.fold_means.at("0"), fold0, 1e-12);
  EXPECT_NEAR(pooled.fold_means.at("1"), 1.0, 1e-12);
  EXPECT_EQ(pooled.folds, 2);
  EXPECT_NEAR(pooled.mean, (fold0 + 1.0) / 2, 1e-12);
  EXPECT_NEAR(pooled.std, (1.0 - fold0) / std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(cv.at("dice").at(1).fold_means.at("0"), 0.5, 1e-12);  // the case mean
  // Without volumes there is nothing to pool: no pooled entry at all.
  for (auto& r : rows) r.values = {{"dice", r.values.at("dice")}};
  EXPECT_EQ(cross_validation(rows).count(kPooledDice), 0u);
}

}  // namespace
}  // namespace unetx::pipeline
