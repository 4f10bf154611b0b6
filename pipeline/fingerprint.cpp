#include "pipeline/fingerprint.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>

#include "io/error.h"
#include "io/image_io.h"
#include "io/label_io.h"
#include "pipeline/modality.h"
#include "pipeline/orientation.h"
#include "pipeline/statistics.h"

namespace unetx::pipeline {

namespace {

// Voxels whose intensities describe the foreground: label > 0, or, without a label, the voxels
// nonzero in some channel. (Z, Y, X) bool.
at::Tensor foreground_mask(const std::string& id, const io::Volume& image, const io::Volume* label) {
  if (label == nullptr) return image.data.ne(0).any(0);
  if (label->data.dim() != 4 || label->data.size(0) != 1 || label->size() != image.size())
    throw Error(id, "label grid differs from image: size");
  return label->data[0].gt(0);
}

// At most `max_samples` values of `values` (1-D), evenly strided: deterministic, no RNG needed.
std::vector<float> strided_sample(const at::Tensor& values, int64_t max_samples) {
  at::Tensor v = values.to(at::kFloat).contiguous();
  const int64_t n = v.numel();
  if (n > max_samples) {
    const auto idx = (at::arange(max_samples, at::kDouble) * (static_cast<double>(n) / max_samples))
                         .floor()
                         .to(at::kLong);
    v = v.index_select(0, idx).contiguous();
  }
  return std::vector<float>(v.data_ptr<float>(), v.data_ptr<float>() + v.numel());
}

ChannelIntensity channel_intensity(const std::vector<double>& values) {
  ChannelIntensity c;
  c.samples = static_cast<int64_t>(values.size());
  if (values.empty()) return c;
  c.percentile_00_5 = percentile(values, 0.5);
  c.percentile_99_5 = percentile(values, 99.5);
  c.mean = std::accumulate(values.begin(), values.end(), 0.0) / values.size();
  double ss = 0;
  for (double x : values) ss += (x - c.mean) * (x - c.mean);
  c.std = std::sqrt(ss / values.size());
  return c;
}

// The most common known value of channel k over the cases; disagreement is worth a warning
// (normalization is chosen from it).
std::string channel_modality(const std::vector<CaseFingerprint>& cases, size_t k) {
  std::map<std::string, int> counts;
  for (const auto& c : cases)
    if (k < c.modality.size() && !c.modality[k].empty()) ++counts[c.modality[k]];
  if (counts.empty()) return "";
  auto best = std::max_element(counts.begin(), counts.end(),
                               [](const auto& a, const auto& b) { return a.second < b.second; });
  if (counts.size() > 1)
    spdlog::warn("fingerprint: channel {} has several modalities; planning for {}", k, best->first);
  return best->first;
}

// Each direction column (an index axis) has one component of magnitude ~1.
bool is_axis_aligned(const io::Mat3& d) {
  for (int col = 0; col < 3; ++col) {
    double largest = 0;
    for (int row = 0; row < 3; ++row) largest = std::max(largest, std::abs(d[row * 3 + col]));
    if (largest < 1.0 - 1e-3) return false;
  }
  return true;
}

nlohmann::json case_json(const CaseFingerprint& c) {
  int64_t samples = 0;
  for (const auto& s : c.samples) samples = std::max<int64_t>(samples, s.size());
  return {{"id", c.id},
          {"spacing", c.spacing},
          {"size", c.size},
          {"axis_aligned", c.axis_aligned},
          {"nonzero_box", to_json(c.nonzero)},
          {"modality", c.modality},
          {"max_label", c.max_label},
          {"foreground_samples", samples}};
}

}  // namespace

double median(std::vector<double> v) {
  if (v.empty()) throw Error("", "median of no values");
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

CaseFingerprint fingerprint_case(const std::string& id, const io::Volume& image,
                                 const io::Volume* label, std::vector<std::string> modality,
                                 int64_t max_samples) {
  CaseFingerprint f;
  f.id = id;
  f.spacing = image.geometry.spacing;
  f.size = image.size();
  f.axis_aligned = is_axis_aligned(image.geometry.direction);
  f.nonzero = nonzero_box(image.data);
  f.modality = std::move(modality);
  f.modality.resize(static_cast<size_t>(image.channels()));
  const at::Tensor mask = foreground_mask(id, image, label);
  if (label != nullptr) f.max_label = static_cast<int>(label->data.max().item<double>());
  if (!mask.any().item<bool>()) {
    spdlog::warn("fingerprint: case {}: {} has no foreground; its intensities are left out", id,
                 label ? "the label" : "the image");
    return f;
  }
  for (int64_t c = 0; c < image.channels(); ++c) {
    // NaN/Inf voxels fail the case in preprocess; here they must not poison the statistics.
    const at::Tensor values = image.data[c].masked_select(mask);
    f.samples.push_back(strided_sample(values.masked_select(values.isfinite()), max_samples));
  }
  return f;
}

DatasetFingerprint summarize_fingerprints(std::vector<CaseFingerprint> cases) {
  if (cases.empty()) throw Error("", "fingerprint of no cases");
  DatasetFingerprint d;
  const size_t channels = cases.front().modality.size();
  for (int a = 0; a < 3; ++a) {
    std::vector<double> spacing, size;
    for (const auto& c : cases) {
      spacing.push_back(c.spacing[a]);
      size.push_back(static_cast<double>(c.size[a]));
    }
    d.median_spacing[a] = median(spacing);
    d.median_size[a] = std::llround(median(size));
  }
  for (size_t k = 0; k < channels; ++k) {
    std::vector<double> values;
    for (const auto& c : cases)
      if (k < c.samples.size()) values.insert(values.end(), c.samples[k].begin(), c.samples[k].end());
    d.intensity.push_back(channel_intensity(values));
    d.modality.push_back(channel_modality(cases, k));
  }
  for (const auto& c : cases) d.max_label = std::max(d.max_label, c.max_label);
  d.cases = std::move(cases);
  return d;
}

nlohmann::json DatasetFingerprint::to_json() const {
  nlohmann::json case_list = nlohmann::json::array(), channel_list = nlohmann::json::array();
  int aligned = 0;
  for (const auto& c : cases) {
    case_list.push_back(case_json(c));
    aligned += c.axis_aligned;
  }
  for (size_t k = 0; k < intensity.size(); ++k) {
    const auto& i = intensity[k];
    channel_list.push_back({{"modality", modality[k]},
                            {"samples", i.samples},
                            {"percentile_00_5", i.percentile_00_5},
                            {"percentile_99_5", i.percentile_99_5},
                            {"mean", i.mean},
                            {"std", i.std}});
  }
  return {{"cases", case_list},
          {"median_spacing", median_spacing},
          {"median_size", median_size},
          {"channels", channel_list},
          {"samples_per_case", kForegroundSamplesPerCase},
          {"axis_aligned_cases", aligned}};
}

DatasetFingerprint fingerprint_cohort(const io::Cohort& cohort, const std::string& orientation) {
  std::vector<CaseFingerprint> found;
  std::vector<std::string> dataset;  // dataset.json modalities, read once
  for (const auto& c : cohort.cases) {
    try {
      const io::Volume stored = io::read_channels(c.images);
      // A case with a broken spacing fails later on its own; it must not skew the medians.
      const auto& sp = stored.geometry.spacing;
      if (!(sp[0] > 0 && sp[1] > 0 && sp[2] > 0)) continue;
      // Per-axis statistics are taken on the axes preprocess will give the case.
      const AxisMap axes = axes_for(orientation, stored.geometry, stored.size());
      const io::Volume image = reorient(stored, axes);
      if (!found.empty() && static_cast<size_t>(image.channels()) != found.front().modality.size())
        throw Error(c.id, "has " + std::to_string(image.channels()) + " channel(s), the cohort " +
                              std::to_string(found.front().modality.size()));
      if (dataset.size() != static_cast<size_t>(image.channels()))
        dataset = dataset_json_modalities(cohort.source, static_cast<int>(image.channels()));
      std::optional<io::Volume> label;
      if (c.label) label = reorient(io::read_label(*c.label, stored), axes);
      found.push_back(fingerprint_case(c.id, image, label ? &*label : nullptr,
                                       case_modalities(c, image, dataset)));
    } catch (const std::exception& e) {
      spdlog::warn("fingerprint: skipping case {}: {}", c.id, e.what());
    }
  }
  if (found.empty()) throw Error(cohort.source.string(), "no readable image in the cohort");
  return summarize_fingerprints(std::move(found));
}

}  // namespace unetx::pipeline
