#include "pipeline/statistics.h"

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "io/error.h"

namespace unetx::pipeline {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// p-th percentile (0..100) of sorted values, interpolating linearly between order statistics.
double sorted_percentile(const std::vector<double>& v, double p) {
  const double pos = p / 100.0 * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - static_cast<double>(lo));
}

double mean_of(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

double sample_std(const std::vector<double>& v, double mean) {
  if (v.size() < 2) return 0.0;
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  return std::sqrt(ss / static_cast<double>(v.size() - 1));
}

// Ranks of |d| (1-based, ties get their average rank), and the tie-group sizes.
std::vector<double> average_ranks(const std::vector<double>& magnitudes, std::vector<int>* ties) {
  std::vector<size_t> order(magnitudes.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t i, size_t j) { return magnitudes[i] < magnitudes[j]; });
  std::vector<double> ranks(magnitudes.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j + 1 < order.size() && magnitudes[order[j + 1]] == magnitudes[order[i]]) ++j;
    const double rank = (static_cast<double>(i + j) / 2.0) + 1.0;
    for (size_t k = i; k <= j; ++k) ranks[order[k]] = rank;
    if (j > i) ties->push_back(static_cast<int>(j - i + 1));
    i = j + 1;
  }
  return ranks;
}

// P(W+ <= w) under H0 for n untied ranks: every one of the 2^n sign patterns is equally likely;
// counts[s] = number of patterns whose positive ranks sum to s, built rank by rank.
double exact_signed_rank_cdf(int n, double w) {
  const int max_sum = n * (n + 1) / 2;
  std::vector<double> counts(max_sum + 1, 0.0);
  counts[0] = 1.0;
  for (int r = 1; r <= n; ++r) {
    for (int s = max_sum; s >= r; --s) counts[s] += counts[s - r];
  }
  double below = 0;
  for (int s = 0; s <= static_cast<int>(std::floor(w)) && s <= max_sum; ++s) below += counts[s];
  return below / std::ldexp(1.0, n);
}

}  // namespace

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return kNaN;
  std::sort(values.begin(), values.end());
  return sorted_percentile(values, p);
}

Summary summarize(const std::vector<double>& values, double confidence, int resamples,
                  uint64_t seed) {
  Summary s;
  std::vector<double> v;
  for (double x : values) (std::isnan(x) ? s.n_nan : s.n) += 1;
  std::copy_if(values.begin(), values.end(), std::back_inserter(v),
               [](double x) { return !std::isnan(x); });
  if (v.empty()) {
    s.mean = s.std = s.median = s.q1 = s.q3 = s.iqr = s.ci_low = s.ci_high = kNaN;
    return s;
  }
  std::sort(v.begin(), v.end());
  s.mean = mean_of(v);
  s.std = sample_std(v, s.mean);
  s.median = sorted_percentile(v, 50);
  s.q1 = sorted_percentile(v, 25);
  s.q3 = sorted_percentile(v, 75);
  s.iqr = s.q3 - s.q1;
  // Percentile bootstrap of the mean.
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<size_t> pick(0, v.size() - 1);
  std::vector<double> means(static_cast<size_t>(std::max(resamples, 1)));
  for (double& m : means) {
    double sum = 0;
    for (size_t i = 0; i < v.size(); ++i) sum += v[pick(rng)];
    m = sum / static_cast<double>(v.size());
  }
  std::sort(means.begin(), means.end());
  const double tail = (1.0 - confidence) / 2.0 * 100.0;
  s.ci_low = sorted_percentile(means, tail);
  s.ci_high = sorted_percentile(means, 100.0 - tail);
  return s;
}

PairedTest paired_test(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) {
    throw Error("paired test", "the two sets have " + std::to_string(a.size()) + " and " +
                                   std::to_string(b.size()) + " values");
  }
  std::vector<double> d;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!std::isnan(a[i]) && !std::isnan(b[i])) d.push_back(a[i] - b[i]);
  }
  PairedTest r;
  r.n = static_cast<int64_t>(d.size());
  r.t = r.t_p = r.w = r.wilcoxon_p = kNaN;
  r.mean_difference = d.empty() ? kNaN : mean_of(d);
  if (d.size() >= 2) {
    const double sd = sample_std(d, r.mean_difference);
    if (sd > 0) {
      r.t = r.mean_difference / (sd / std::sqrt(static_cast<double>(d.size())));
      boost::math::students_t dist(static_cast<double>(d.size() - 1));
      r.t_p = 2.0 * boost::math::cdf(boost::math::complement(dist, std::abs(r.t)));
    }
  }
  std::vector<double> nonzero, magnitudes;
  for (double x : d) {
    if (x != 0) {
      nonzero.push_back(x);
      magnitudes.push_back(std::abs(x));
    }
  }
  const int n = static_cast<int>(nonzero.size());
  if (n == 0) return r;
  std::vector<int> ties;
  const std::vector<double> ranks = average_ranks(magnitudes, &ties);
  double w_plus = 0;
  for (int i = 0; i < n; ++i) w_plus += nonzero[i] > 0 ? ranks[i] : 0.0;
  const double total = n * (n + 1) / 2.0;
  r.w = std::min(w_plus, total - w_plus);
  if (ties.empty() && n <= 50) {
    r.wilcoxon_method = "exact";
    r.wilcoxon_p = std::min(1.0, 2.0 * exact_signed_rank_cdf(n, r.w));
  } else {
    r.wilcoxon_method = "normal";
    double variance = n * (n + 1.0) * (2.0 * n + 1.0) / 24.0;
    for (int t : ties) variance -= (static_cast<double>(t) * t * t - t) / 48.0;
    const double z = (r.w - total / 2.0) / std::sqrt(variance);
    r.wilcoxon_p = 2.0 * boost::math::cdf(boost::math::normal(), -std::abs(z));
  }
  return r;
}

}  // namespace unetx::pipeline
