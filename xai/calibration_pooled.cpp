#include "xai/calibration_pooled.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "io/error.h"
#include "xai/calibration.h"

namespace unetx::xai {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// bincount of `bins` (long, 1-D) with `n` bins, as int64 counts.
std::vector<int64_t> counts(const at::Tensor& bins, int n) {
  const at::Tensor c = at::bincount(bins, {}, n).to(at::kLong).contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + n);
}

template <typename T>
void add_into(std::vector<T>& to, const std::vector<T>& from) {
  for (size_t i = 0; i < to.size(); ++i) to[i] += from[i];
}

}  // namespace

void RankHistogram::add(const at::Tensor& scores, const at::Tensor& positives) {
  check_same_count(scores, positives, "auroc histogram");
  const at::Tensor u = scores.detach().reshape({-1}).to(at::kDouble).nan_to_num(0).clamp_min(0);
  const at::Tensor pos = positives.detach().reshape({-1}).ne(0);
  // u = +inf gives t = NaN; it belongs in the last bin.
  const at::Tensor t = (u / (u + 1)).nan_to_num(1.0);
  const at::Tensor bin = (t * kBins).floor().to(at::kLong).clamp(0, kBins - 1);
  add_into(positive, counts(bin.masked_select(pos), kBins));
  add_into(negative, counts(bin.masked_select(pos.logical_not()), kBins));
}

void RankHistogram::merge(const RankHistogram& other) {
  add_into(positive, other.positive);
  add_into(negative, other.negative);
}

double RankHistogram::auroc() const {
  double below = 0, wins = 0, np = 0;
  for (int b = 0; b < kBins; ++b) {
    const double p = static_cast<double>(positive[b]), n = static_cast<double>(negative[b]);
    wins += p * (below + 0.5 * n);
    below += n;
    np += p;
  }
  if (np == 0 || below == 0) return kNaN;
  return wins / (np * below);
}

CalibrationSums::CalibrationSums(int bins) {
  if (bins < 1) throw Error("--ece-bins", "must be at least 1, got " + std::to_string(bins));
  count.assign(bins, 0);
  confidence.assign(bins, 0.0);
  correct.assign(bins, 0);
}

void CalibrationSums::add(const at::Tensor& confidence_values, const at::Tensor& correct_values) {
  check_same_count(confidence_values, correct_values, "expected_calibration_error");
  const int n = bins();
  const at::Tensor c = confidence_values.detach().reshape({-1}).to(at::kDouble).clamp(0, 1);
  const at::Tensor ok = correct_values.detach().reshape({-1}).ne(0);
  // The binning of expected_calibration_error: b/B <= c < (b+1)/B, c = 1 in the last bin.
  const at::Tensor bin = (c * n).floor().to(at::kLong).clamp_max(n - 1);
  add_into(count, counts(bin, n));
  add_into(correct, counts(bin.masked_select(ok), n));
  const at::Tensor sums = at::zeros({n}, at::kDouble).index_add_(0, bin, c).contiguous();
  for (int b = 0; b < n; ++b) confidence[b] += sums.data_ptr<double>()[b];
}

void CalibrationSums::merge(const CalibrationSums& other) {
  if (other.bins() != bins()) {
    throw Error("expected_calibration_error", "cannot pool " + std::to_string(other.bins()) +
                                                  " confidence bins with " +
                                                  std::to_string(bins()));
  }
  add_into(count, other.count);
  add_into(confidence, other.confidence);
  add_into(correct, other.correct);
}

double CalibrationSums::ece() const {
  double total = 0, gap = 0;
  for (int b = 0; b < bins(); ++b) {
    total += static_cast<double>(count[b]);
    gap += std::abs(static_cast<double>(correct[b]) - confidence[b]);
  }
  return total == 0 ? kNaN : gap / total;
}

nlohmann::json pooled_to_json(const RankHistogram& h, const CalibrationSums& c) {
  auto sparse = [](const std::vector<int64_t>& v) {
    nlohmann::json out = nlohmann::json::array();
    for (size_t b = 0; b < v.size(); ++b)
      if (v[b] != 0) out.push_back({b, v[b]});
    return out;
  };
  nlohmann::json ece = nlohmann::json::array();
  for (int b = 0; b < c.bins(); ++b)
    if (c.count[b] != 0) ece.push_back({b, c.count[b], c.confidence[b], c.correct[b]});
  return {{"histogram_bins", RankHistogram::kBins},
          {"positive", sparse(h.positive)},
          {"negative", sparse(h.negative)},
          {"ece_bins", c.bins()},
          {"ece", ece}};
}

void pooled_from_json(const nlohmann::json& j, const std::string& file, RankHistogram& h,
                      CalibrationSums& c) {
  try {
    if (j.at("histogram_bins").get<int>() != RankHistogram::kBins) {
      throw Error(file, "histogram has " + j.at("histogram_bins").dump() + " bins, expected " +
                            std::to_string(RankHistogram::kBins));
    }
    h = RankHistogram();
    auto fill = [&](const nlohmann::json& entries, std::vector<int64_t>& to) {
      for (const auto& e : entries) to.at(e.at(0).get<size_t>()) = e.at(1).get<int64_t>();
    };
    fill(j.at("positive"), h.positive);
    fill(j.at("negative"), h.negative);
    c = CalibrationSums(j.at("ece_bins").get<int>());
    for (const auto& e : j.at("ece")) {
      const size_t b = e.at(0).get<size_t>();
      c.count.at(b) = e.at(1).get<int64_t>();
      c.confidence.at(b) = e.at(2).get<double>();
      c.correct.at(b) = e.at(3).get<int64_t>();
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(file, std::string("not a pooled calibration file: ") + e.what());
  } catch (const std::out_of_range&) {
    throw Error(file, "a bin index is out of range");
  }
}

}  // namespace unetx::xai
