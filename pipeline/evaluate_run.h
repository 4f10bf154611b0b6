// `unetx evaluate`: predicted label maps + reference label maps -> per-case, per-label metrics
// (<output>/metrics.csv), cohort statistics (<output>/summary.json) and manifest.csv.
//
// Conventions: labels are the values > 0 found in either map of a case; when a label is absent
// from both (possible only with --labels), Dice = IoU = 1 (nothing to find, nothing found);
// when it is absent from exactly one, Dice = IoU = 0. Volumes are in millilitres.
#pragma once

#include <filesystem>
#include <vector>

#include "distributed/communicator.h"
#include "pipeline/cohort_runner.h"

namespace unetx::pipeline {

struct EvaluateSettings {
  // Predictions: a `unetx predict` output folder (its manifest.csv, column mask), or a folder
  // of <case_id>.nii.gz label maps.
  std::filesystem::path predictions;
  // References: a cohort manifest / dataset.json with a label column, or a folder of label maps.
  std::filesystem::path references;
  std::filesystem::path output;
  std::vector<int64_t> labels;  // evaluate exactly these; empty: every label present
};

RunSummary run_evaluate(const EvaluateSettings& settings, dist::Communicator& comm);

}  // namespace unetx::pipeline
