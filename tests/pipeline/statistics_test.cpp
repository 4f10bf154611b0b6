// Cohort statistics against values computed independently with numpy/scipy 1.10
// (ttest_rel, wilcoxon, percentile) and against hand-computed cases.
#include "pipeline/statistics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "io/error.h"

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

}  // namespace
}  // namespace unetx::pipeline
