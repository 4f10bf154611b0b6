// Every metric of one case and label: overlap, volumes and surface distances in millimetres,
// computed on the reference's voxel grid with its spacing. The columns of metrics.csv.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "io/volume.h"
#include "pipeline/metrics.h"
#include "pipeline/surface_distance.h"

namespace unetx::pipeline {

struct EvaluationOptions {
  double nsd_tolerance_mm = 1.0;  // normalized surface Dice tolerance
  // Distances (hd, hd95, assd) when exactly one of prediction and reference is empty: NaN by
  // default (left out of means, counted as "empty" in the summary); `empty_distance_diagonal`
  // reports the physical diagonal of the image instead (the worst possible distance), which
  // penalizes a missed structure in the means.
  bool empty_distance_diagonal = false;
};

struct LabelMetrics {
  int64_t label = 0;
  Overlap overlap;
  double vol_pred_ml = 0, vol_ref_ml = 0;
  double rel_vol_diff = 0;  // (vol_pred - vol_ref) / vol_ref; NaN when the reference is empty
  SurfaceMetrics surface;
};

// Metrics of each label in `labels` (or, when empty, every label > 0 present in either map).
// pred and ref must be single-channel integer maps on one grid (see same_grid).
std::vector<LabelMetrics> evaluate_labels(const io::Volume& pred, const io::Volume& ref,
                                          const std::vector<int64_t>& labels,
                                          const EvaluationOptions& options);

// One row of metrics.csv: the metrics of one label of one case. NaN = not defined (e.g. a
// distance when a mask is empty).
struct CaseMetricRow {
  std::string case_id;
  int64_t label = 1;
  std::string empty;                     // "", "both", "prediction", "reference"
  std::map<std::string, double> values;  // metric name (as in metrics.csv) -> value
  std::string fold;                      // the cohort manifest's fold column, when present
};

// Names of the numeric metrics in metrics.csv order, and their value for one label.
const std::vector<std::string>& metric_names();
double metric_value(const LabelMetrics& m, const std::string& name);

// A metric as a CSV cell: 6 significant digits, "nan" for an undefined value.
std::string metric_cell(double value);

}  // namespace unetx::pipeline
