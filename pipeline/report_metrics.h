// How the report shows each metric of metrics.csv: display name, unit, axis and number format.
#pragma once

#include <string>
#include <vector>

#include "pipeline/report.h"

namespace unetx::pipeline {

struct MetricInfo {
  std::string display;         // "Dice", "HD95"
  std::string unit;            // "mm", "ml" or ""
  bool unit_interval = false;  // values in [0, 1]: fixed axis, 3 decimals, cell shading
  bool higher_is_better = true;
  // False when neither direction is better (volumes, a signed difference): comparisons do not
  // mark a winner.
  bool ranked = true;
};

// Known names get their conventional display; others are shown as given, unit-less.
MetricInfo metric_info(const std::string& name);

// in.metrics when given; else the metrics.csv order for the known names found in the rows,
// then the others alphabetically.
std::vector<std::string> metric_order(const ReportInputs& in);

// "label 1" or the label's display name.
std::string label_display(const ReportInputs& in, int64_t label);

// A value as the report prints it: 3 decimals for [0, 1] metrics, else 4 significant digits;
// "" for NaN, "inf" for infinity.
std::string format_metric(const MetricInfo& info, double value);

}  // namespace unetx::pipeline
