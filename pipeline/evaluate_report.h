// report.html of an evaluate run: gathers what the report shows (metric rows, summaries,
// training logs, uncertainty, cross-validation, a paired comparison, thumbnails of the best and
// worst cases with their attribution maps) and writes it.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "io/manifest.h"
#include "pipeline/case_metrics.h"
#include "pipeline/evaluate_folds.h"
#include "pipeline/evaluate_run.h"
#include "pipeline/statistics.h"

namespace unetx::pipeline {

using MetricSummaries = std::map<std::string, std::map<int64_t, Summary>>;

// Writes <settings.output>/report.html. A thumbnail whose files cannot be read is left out
// with a warning (the numbers are what matter), and so is an attribution panel whose map is
// missing or on another grid; an unreadable training log or uncertainty manifest the user asked
// for is an error naming the file.
void write_evaluation_report(const EvaluateSettings& settings, const io::Cohort& cohort,
                             const std::map<std::string, std::filesystem::path>& predictions,
                             const std::vector<CaseMetricRow>& rows,
                             const MetricSummaries& summaries, const CrossValidation& cv,
                             const ReportExtras& extras);

// The attribution map of `case_id` in `folder` (see EvaluateSettings::attributions): the `map`
// column of its row in folder/manifest.csv when that manifest exists (none when the row is
// missing or not ok), else the first of <case_id>_gradcam.nii.gz, <case_id>.nii.gz,
// <case_id>.nii that exists. Empty path: no map.
std::filesystem::path find_attribution(const std::filesystem::path& folder,
                                       const std::string& case_id);

}  // namespace unetx::pipeline
