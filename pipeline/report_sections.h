// Internal to the report: the page's sections as HTML fragments, each from the shared context.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "pipeline/report.h"

namespace unetx::pipeline::report_detail {

struct Context {
  const ReportInputs& in;
  std::vector<std::string> metrics;  // display order
  std::vector<int64_t> labels;       // ascending
  std::filesystem::path plots_dir;   // <report folder>/report_plots
};

// Every value of `metric` for `label`, NaN included, in row order.
std::vector<double> metric_values(const Context& c, const std::string& metric, int64_t label);

// The caller's summary when given, else summarize() of metric_values().
Summary summary_for(const Context& c, const std::string& metric, int64_t label);

// Lower-case letters, digits, '-' and '_' of `name`, others as '_': a safe file-name stem.
std::string file_stem(const std::string& name);

std::string summary_section(const Context& c);
std::string cases_section(const Context& c);
// Tables shown only when their inputs are given ("" otherwise): per-fold means with mean ± SD
// over folds, and the paired comparison of two prediction sets.
std::string cross_validation_section(const Context& c);
std::string comparison_section(const Context& c);
// The sections below also write their plots as PNG files into c.plots_dir; "" when they have
// nothing to show.
std::string distributions_section(const Context& c);
std::string training_section(const Context& c);
std::string uncertainty_section(const Context& c);
std::string gallery_section(const Context& c);

}  // namespace unetx::pipeline::report_detail
