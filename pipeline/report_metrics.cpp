#include "pipeline/report_metrics.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace unetx::pipeline {
namespace {

const std::vector<std::pair<std::string, MetricInfo>>& known_metrics() {
  static const std::vector<std::pair<std::string, MetricInfo>> kKnown{
      {"dice", {"Dice", "", true, true}},
      {"dice_pooled", {"Dice pooled over the fold", "", true, true}},  // cross-validation only
      {"iou", {"IoU", "", true, true}},
      {"precision", {"Precision", "", true, true}},
      {"recall", {"Recall", "", true, true}},
      {"specificity", {"Specificity", "", true, true}},
      {"hd", {"Hausdorff distance", "mm", false, false}},
      {"hd95", {"HD95", "mm", false, false}},
      {"assd", {"ASSD", "mm", false, false}},
      {"nsd", {"NSD", "", true, true}},
      {"vol_pred_ml", {"Predicted volume", "ml", false, true, false}},
      {"vol_ref_ml", {"Reference volume", "ml", false, true, false}},
      {"rel_vol_diff", {"Relative volume difference", "", false, false, false}},
  };
  return kKnown;
}

}  // namespace

MetricInfo metric_info(const std::string& name) {
  for (const auto& [key, info] : known_metrics())
    if (key == name) return info;
  return {name, "", false, true, false};
}

std::vector<std::string> metric_order(const ReportInputs& in) {
  if (!in.metrics.empty()) return in.metrics;
  std::set<std::string> found;
  for (const auto& r : in.rows)
    for (const auto& [name, value] : r.values) found.insert(name);
  std::vector<std::string> order;
  for (const auto& [key, info] : known_metrics())
    if (found.erase(key)) order.push_back(key);
  order.insert(order.end(), found.begin(), found.end());
  return order;
}

std::string label_display(const ReportInputs& in, int64_t label) {
  const auto it = in.label_names.find(label);
  return it != in.label_names.end() ? it->second : fmt::format("label {}", label);
}

std::string format_metric(const MetricInfo& info, double value) {
  if (std::isnan(value)) return "";
  return info.unit_interval ? fmt::format("{:.3f}", value) : fmt::format("{:.4g}", value);
}

}  // namespace unetx::pipeline
