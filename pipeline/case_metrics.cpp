#include "pipeline/case_metrics.h"

#include <fmt/format.h>

#include <cmath>
#include <set>

#include "io/error.h"

namespace unetx::pipeline {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<int64_t> labels_present(const at::Tensor& a, const at::Tensor& b) {
  std::set<int64_t> values;
  for (const auto& t : {a, b}) {
    const at::Tensor u = std::get<0>(at::_unique(t.flatten().to(at::kLong)));
    const int64_t* p = u.data_ptr<int64_t>();
    for (int64_t i = 0; i < u.numel(); ++i)
      if (p[i] > 0) values.insert(p[i]);
  }
  return {values.begin(), values.end()};
}

double diagonal_mm(const io::Volume& v) {
  const io::Size3 n = v.size();
  double sum = 0;
  for (int a = 0; a < 3; ++a) sum += std::pow(n[a] * v.geometry.spacing[a], 2);
  return std::sqrt(sum);
}

}  // namespace

std::vector<LabelMetrics> evaluate_labels(const io::Volume& pred, const io::Volume& ref,
                                          const std::vector<int64_t>& labels,
                                          const EvaluationOptions& options) {
  if (pred.data.size(0) != 1 || ref.data.size(0) != 1) {
    throw Error("", "evaluate: label maps must have one channel");
  }
  const at::Tensor p = pred.data[0];
  const at::Tensor r = ref.data[0];
  std::vector<LabelMetrics> out;
  for (int64_t label : labels.empty() ? labels_present(p, r) : labels) {
    LabelMetrics m;
    m.label = label;
    m.overlap = overlap(p, r, label);
    m.vol_pred_ml = (m.overlap.tp + m.overlap.fp) * ref.voxel_ml();
    m.vol_ref_ml = (m.overlap.tp + m.overlap.fn) * ref.voxel_ml();
    m.rel_vol_diff = m.vol_ref_ml > 0 ? (m.vol_pred_ml - m.vol_ref_ml) / m.vol_ref_ml : kNaN;
    m.surface =
        surface_metrics(p.eq(label), r.eq(label), ref.geometry.spacing, options.nsd_tolerance_mm);
    if (options.empty_distance_diagonal && !m.surface.empty.empty()) {
      const double d = m.surface.empty == "both" ? 0.0 : diagonal_mm(ref);
      m.surface.hd = m.surface.hd95 = m.surface.assd = d;
    }
    out.push_back(m);
  }
  return out;
}

std::string metric_cell(double value) {
  return std::isnan(value) ? "nan" : fmt::format("{:.6g}", value);
}

const std::vector<std::string>& metric_names() {
  static const std::vector<std::string> names{
      "dice", "iou",  "precision", "recall",      "specificity", "hd",
      "hd95", "assd", "nsd",       "vol_pred_ml", "vol_ref_ml",  "rel_vol_diff"};
  return names;
}

double metric_value(const LabelMetrics& m, const std::string& name) {
  if (name == "dice") return m.overlap.dice();
  if (name == "iou") return m.overlap.iou();
  if (name == "precision") return m.overlap.precision();
  if (name == "recall") return m.overlap.recall();
  if (name == "specificity") return m.overlap.specificity();
  if (name == "hd") return m.surface.hd;
  if (name == "hd95") return m.surface.hd95;
  if (name == "assd") return m.surface.assd;
  if (name == "nsd") return m.surface.nsd;
  if (name == "vol_pred_ml") return m.vol_pred_ml;
  if (name == "vol_ref_ml") return m.vol_ref_ml;
  if (name == "rel_vol_diff") return m.rel_vol_diff;
  throw Error("metric", "unknown metric " + name);
}

}  // namespace unetx::pipeline
