// The cohort-level files of `unetx uncertainty`, built by rank 0 from the output manifest (so
// resumed cases and cases of other ranks count too): uncertainty.csv, one row per case and
// method, and uncertainty_summary.json.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "io/manifest.h"
#include "xai/uncertainty_scores.h"

namespace unetx::xai {

// Score columns per method in the manifest, "<method>_<score>", in this order.
const std::vector<std::string>& score_names();

// CaseScores as the manifest's "<method>_<score>" cells.
std::map<std::string, std::string> score_columns(const std::string& method,
                                                 const CaseScores& scores);

// Writes <output>/uncertainty.csv (case_id, method, map, then score_names()) for the rows whose
// status is ok, and <output>/uncertainty_summary.json: per method the number of cases and of
// cases with a reference, the mean over cases of AUROC and ECE (auroc_case_mean,
// ece_case_mean), AUROC and ECE pooled over every voxel of those cases (auroc_pooled, ece_pooled,
// merged from each row's "<method>_pooled" file, calibration_pooled.h), and Pearson's and
// Spearman's correlation between the case uncertainty (mean inside the predicted structure) and
// Dice. `maps`: method -> name of its scored map. Both files atomically. Throws unetx::Error
// naming a pooled file that is unreadable or has other than `ece_bins` bins.
void write_uncertainty_tables(const std::filesystem::path& output,
                              const std::vector<io::ManifestRow>& rows,
                              const std::vector<std::pair<std::string, std::string>>& maps,
                              int ece_bins);

}  // namespace unetx::xai
