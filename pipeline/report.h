// report.html of `unetx evaluate`: one self-contained page (no network: styles, script, SVG plots
// and PNG thumbnails are all inline) with the summary table, cross-validation and paired
// comparison tables (when given), box plots per metric, training curves, uncertainty against
// Dice, a sortable per-case table and the best and worst cases. The
// plots are also written as PNG files under <report folder>/report_plots/.
//
// Only case ids, label numbers/names and numbers reach the page; every string is HTML-escaped.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/case_metrics.h"
#include "pipeline/comparison_row.h"
#include "pipeline/evaluate_folds.h"
#include "pipeline/statistics.h"

namespace unetx::pipeline {

namespace fs = std::filesystem;

// A train_log.jsonl of `unetx train` (one JSON object per epoch with epoch, train_loss,
// val_dice, lr, seconds), drawn as one line per file.
struct TrainingLog {
  std::string name;  // legend entry, e.g. "fold 0"
  fs::path file;
};

// One representative 2-D slice of a case for the best/worst gallery. Slices are (H, W) planes,
// drawn with row 0 at the top (the convention of xai/overlay.h); see thumbnail_from_volumes.
struct CaseThumbnail {
  enum class Kind { kBest, kWorst };
  std::string case_id;
  Kind kind = Kind::kBest;
  at::Tensor image;        // (H, W) intensities, any float/int type; windowed 1st-99th percentile
  at::Tensor reference;    // (H, W) labels (0 = background)
  at::Tensor prediction;   // (H, W) labels
  at::Tensor attribution;  // optional (H, W), >= 0; scaled by its maximum; undefined = none
  int64_t slice = -1;      // z of the slice in its volume, shown in the caption (-1: unknown)
};

struct ReportInputs {
  std::string title = "Segmentation evaluation";
  std::string subtitle;  // e.g. model and cohort names; no patient data

  std::vector<CaseMetricRow> rows;
  // Column and plot order; empty: the usual metrics in metrics.csv order (dice, iou, ...), then
  // any other metric found in `rows`, alphabetically.
  std::vector<std::string> metrics;
  std::map<int64_t, std::string> label_names;  // optional display names ("1" -> "liver")

  // metric -> label -> summary, as written to summary.json. Missing entries are computed from
  // `rows` with summarize(), so the page always agrees with the rows it lists.
  std::map<std::string, std::map<int64_t, Summary>> summaries;

  std::vector<TrainingLog> training_logs;  // optional

  // Optional: case id -> mean uncertainty of the case (e.g. mean_entropy_foreground of the
  // `unetx uncertainty` manifest), plotted against the case's mean Dice over its labels.
  std::map<std::string, double> uncertainty;
  std::string uncertainty_name = "mean uncertainty";

  std::vector<CaseThumbnail> thumbnails;  // optional; see best_and_worst_cases()

  // Optional: per-fold means and mean ± SD over folds (see cross_validation()).
  CrossValidation cross_validation;

  // Optional: a paired comparison of these predictions (A) with a second set (B) on the same
  // cases, drawn as the papers' table: mean ± SD of each, the difference and both p-values.
  std::vector<ComparisonRow> comparison;
  std::string comparison_a = "A", comparison_b = "B";  // the two sets' names
};

// Writes `out_html` and <out_html's folder>/report_plots/{box_<metric>, training_curves,
// uncertainty_vs_dice, thumb_<best|worst>_<k>}.png, all atomically. Throws unetx::Error naming
// the file at fault (e.g. an unreadable training log).
void write_report(const ReportInputs& in, const fs::path& out_html);

// Mean Dice of each case over its labels (NaN Dice values left out; cases without any finite
// Dice are left out), from the rows' "dice" values.
std::map<std::string, double> mean_dice_by_case(const std::vector<CaseMetricRow>& rows);

// The `count` best and `count` worst cases by mean Dice (best first / worst first; ties by case
// id). With fewer than 2 * count cases the lists share no case: worst takes what best left.
std::pair<std::vector<std::string>, std::vector<std::string>> best_and_worst_cases(
    const std::vector<CaseMetricRow>& rows, size_t count = 2);

// A thumbnail from whole volumes: image (Z, Y, X) or (C, Z, Y, X) (channel 0 shown), reference
// and prediction (Z, Y, X) labels, optional attribution (Z, Y, X). Takes the slice z with the
// largest reference area (first on ties; middle slice when the reference is empty).
CaseThumbnail thumbnail_from_volumes(const std::string& case_id, CaseThumbnail::Kind kind,
                                     const at::Tensor& image, const at::Tensor& reference,
                                     const at::Tensor& prediction,
                                     const at::Tensor& attribution = at::Tensor());

}  // namespace unetx::pipeline
