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
//
// Ranks: cases are dealt round-robin (pipeline/cohort_runner.h); each rank writes
// <output>/cases/<case_id>.json for its cases; after the gather rank 0 reads them all back in
// cohort order, so metrics.csv and summary.json do not depend on the number of ranks.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "distributed/communicator.h"
#include "io/manifest.h"
#include "pipeline/case_metrics.h"
#include "pipeline/cohort_runner.h"
#include "pipeline/comparison_row.h"

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
  // Attribution maps (an `unetx explain` output folder: its manifest.csv, column map; or a
  // folder of <case_id>_gradcam.nii.gz / <case_id>.nii.gz maps on the reference grids): drawn
  // over the best and worst cases in report.html. Empty: no attribution panels.
  std::filesystem::path attributions;
};

// evaluate_cases, then (rank 0) write_evaluation.
RunSummary run_evaluate(const EvaluateSettings& settings, dist::Communicator& comm);

// Every rank evaluates its share of the cohort: <output>/cases/<case_id>.json and, on rank 0,
// manifest.csv. Throws before any work when the uncertainty or attributions folder is missing.
RunSummary evaluate_cases(const EvaluateSettings& settings, dist::Communicator& comm);

// What report.html shows beyond the run's own metrics: a paired comparison with another set.
struct ReportExtras {
  std::vector<ComparisonRow> comparison;
  std::string comparison_a, comparison_b;  // the two prediction sets' names
};

// Rank 0, after evaluate_cases: metrics.csv, summary.json and report.html from the per-case
// files of the cases that did not fail.
void write_evaluation(const EvaluateSettings& settings, const RunSummary& summary,
                      const ReportExtras& extras = {});

struct EvaluationTables {
  std::vector<CaseMetricRow> rows;  // cohort order, then label
};

// The per-case metrics an evaluate run with `settings` left in its output folder, for the cases
// that did not fail.
EvaluationTables read_case_metrics(const EvaluateSettings& settings, const RunSummary& summary);

}  // namespace unetx::pipeline
