// report.html of an evaluate run: gathers what the report shows (metric rows, summaries,
// training logs, uncertainty, thumbnails of the best and worst cases) and writes it.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "io/manifest.h"
#include "pipeline/case_metrics.h"
#include "pipeline/evaluate_run.h"
#include "pipeline/statistics.h"

namespace unetx::pipeline {

using MetricSummaries = std::map<std::string, std::map<int64_t, Summary>>;

// Writes <settings.output>/report.html. A thumbnail whose files cannot be read is left out
// with a warning (the numbers are what matter); an unreadable training log or uncertainty
// manifest the user asked for is an error naming the file.
void write_evaluation_report(const EvaluateSettings& settings, const io::Cohort& cohort,
                             const std::map<std::string, std::filesystem::path>& predictions,
                             const std::vector<CaseMetricRow>& rows,
                             const MetricSummaries& summaries);

}  // namespace unetx::pipeline
