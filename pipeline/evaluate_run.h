// `unetx evaluate`: predicted label maps + reference label maps -> per-case, per-label metrics
// (<output>/metrics.csv), cohort statistics (<output>/summary.json), a self-contained
// <output>/report.html (plots also as PNG in <output>/report_plots/) and manifest.csv; with
// `compare`, a second prediction set evaluated alongside and paired tests between the two.
//
// Conventions: labels are the values > 0 found in either map of a case; when a label is absent
// from both (possible only with --labels), Dice = IoU = 1 (nothing to find, nothing found);
// when it is absent from exactly one, Dice = IoU = 0. Surface distances follow
// pipeline/surface_distance.h (NaN for empty masks unless EvaluationOptions says otherwise).
// Volumes are in millilitres, distances in millimetres. A `fold` column in the reference
// manifest adds a cross-validation summary (mean of each fold, then mean +- std over folds).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "distributed/communicator.h"
#include "io/manifest.h"
#include "pipeline/case_metrics.h"
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
  EvaluationOptions metrics;
  // A prediction on another grid than its reference: an error naming both, or (when true)
  // mapped onto the reference grid with nearest neighbour.
  bool resample_prediction = false;
  // report.html extras: training logs (train_log.jsonl, one per fold) drawn as curves, and an
  // `unetx uncertainty` output folder whose mean_entropy_foreground is plotted against Dice.
  std::vector<std::filesystem::path> training_logs;
  std::filesystem::path uncertainty;
};

RunSummary run_evaluate(const EvaluateSettings& settings, dist::Communicator& comm);

struct EvaluationTables {
  std::vector<CaseMetricRow> rows;  // cohort order, then label
};

// The per-case metrics an evaluate run with `settings` left in its output folder, for the cases
// that did not fail.
EvaluationTables read_case_metrics(const EvaluateSettings& settings, const RunSummary& summary);

}  // namespace unetx::pipeline
