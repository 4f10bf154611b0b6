#include "xai/calibration.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "io/error.h"

namespace unetx::xai {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();


// Drops pairs with a NaN on either side.
void finite_pairs(const std::vector<double>& a, const std::vector<double>& b,
                  std::vector<double>& x, std::vector<double>& y) {
  if (a.size() != b.size()) {
    throw Error("correlation", std::to_string(a.size()) + " values against " +
                                   std::to_string(b.size()));
  }
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i]) || std::isnan(b[i])) continue;
    x.push_back(a[i]);
    y.push_back(b[i]);
  }
}

double pearson_finite(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = static_cast<double>(x.size());
  if (x.size() < 2) return kNaN;
  const double mx = std::accumulate(x.begin(), x.end(), 0.0) / n;
  const double my = std::accumulate(y.begin(), y.end(), 0.0) / n;
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  if (sxx == 0 || syy == 0) return kNaN;
  return sxy / std::sqrt(sxx * syy);
}

}  // namespace

void check_same_count(const at::Tensor& a, const at::Tensor& b, const char* what) {
  if (a.numel() != b.numel()) {
    throw Error(what, std::to_string(a.numel()) + " values but " + std::to_string(b.numel()) +
                          " labels");
  }
}

std::vector<double> average_ranks(const std::vector<double>& values) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t i, size_t j) { return values[i] < values[j]; });
  std::vector<double> ranks(values.size());
  for (size_t lo = 0; lo < order.size();) {
    size_t hi = lo + 1;
    while (hi < order.size() && values[order[hi]] == values[order[lo]]) ++hi;
    const double rank = 0.5 * static_cast<double>(lo + 1 + hi);  // mean of ranks lo+1 .. hi
    for (size_t k = lo; k < hi; ++k) ranks[order[k]] = rank;
    lo = hi;
  }
  return ranks;
}

double auroc(const at::Tensor& scores, const at::Tensor& positives) {
  check_same_count(scores, positives, "auroc");
  const at::Tensor s = scores.detach().reshape({-1}).to(at::kDouble).contiguous();
  const at::Tensor pos = positives.detach().reshape({-1}).ne(0).contiguous();
  const int64_t n = s.numel();
  const int64_t n_pos = pos.sum().item<int64_t>();
  const int64_t n_neg = n - n_pos;
  if (n_pos == 0 || n_neg == 0) return kNaN;
  // Sorting on the tensor side keeps millions of voxels fast; ties then share average ranks.
  const auto sorted = s.sort();
  const at::Tensor values = std::get<0>(sorted);
  const at::Tensor is_pos = pos.index_select(0, std::get<1>(sorted));
  const double* v = values.data_ptr<double>();
  const bool* p = is_pos.data_ptr<bool>();
  double rank_sum = 0.0;
  for (int64_t lo = 0; lo < n;) {
    int64_t hi = lo + 1;
    while (hi < n && v[hi] == v[lo]) ++hi;
    int64_t positives_in_run = 0;
    for (int64_t k = lo; k < hi; ++k) positives_in_run += p[k];
    rank_sum += static_cast<double>(positives_in_run) * 0.5 * static_cast<double>(lo + 1 + hi);
    lo = hi;
  }
  const double np = static_cast<double>(n_pos);
  const double u = rank_sum - np * (np + 1) / 2;
  return u / (np * static_cast<double>(n_neg));
}

double expected_calibration_error(const at::Tensor& confidence, const at::Tensor& correct,
                                  int bins) {
  check_same_count(confidence, correct, "expected_calibration_error");
  if (bins < 1) throw Error("--ece-bins", "must be at least 1, got " + std::to_string(bins));
  const at::Tensor c = confidence.detach().reshape({-1}).to(at::kDouble).clamp(0, 1);
  const at::Tensor ok = correct.detach().reshape({-1}).ne(0).to(at::kDouble);
  const int64_t n = c.numel();
  if (n == 0) return kNaN;
  const at::Tensor bin = (c * bins).floor().to(at::kLong).clamp_max(bins - 1);
  const at::Tensor conf_sum = at::zeros({bins}, at::kDouble).index_add_(0, bin, c);
  const at::Tensor acc_sum = at::zeros({bins}, at::kDouble).index_add_(0, bin, ok);
  // sum_b n_b/N |acc_b - conf_b| = sum_b |acc_sum_b - conf_sum_b| / N.
  return (acc_sum - conf_sum).abs().sum().item<double>() / static_cast<double>(n);
}

double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> x, y;
  finite_pairs(a, b, x, y);
  return pearson_finite(x, y);
}

double spearman(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> x, y;
  finite_pairs(a, b, x, y);
  return pearson_finite(average_ranks(x), average_ranks(y));
}

}  // namespace unetx::xai
