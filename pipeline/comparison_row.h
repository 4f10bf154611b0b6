// One line of a paired comparison of two prediction sets (`unetx evaluate --compare`): a metric
// and label, both sets' descriptives over the paired cases and the two tests' p-values. Its own
// header so the report can show comparisons without depending on the evaluate run.
#pragma once

#include <cstdint>
#include <string>

namespace unetx::pipeline {

struct ComparisonRow {
  std::string metric;
  int64_t label = 0;
  int64_t n = 0;                                        // cases where both sets have a finite value
  double mean_a = 0, std_a = 0, mean_b = 0, std_b = 0;  // over those n cases
  double t_p = 0, wilcoxon_p = 0;                       // two-sided; NaN when undefined
};

}  // namespace unetx::pipeline
