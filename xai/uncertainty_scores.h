// Per-case scores of one uncertainty map on the original image grid: mean uncertainty over the
// case, inside the predicted structure and on its boundary, the coefficient of variation of the
// predicted volume, and, with a reference, Dice, the AUROC of voxel uncertainty for detecting
// voxel errors and the expected calibration error of the predicted class's probability.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <limits>
#include <vector>

#include "xai/calibration_pooled.h"

namespace unetx::xai {

// Voxels of a non-zero label with at least one face neighbour (6 in 3-D) of label 0: the border
// of the predicted structure. labels: (Z, Y, X) integer -> (Z, Y, X) bool. Outside the grid is not
// background, so a structure touching the volume's edge has no border there; a single-slice
// volume (Z = 1) has only its 4 in-plane neighbours.
at::Tensor boundary_mask(const at::Tensor& labels);

struct CaseScoreInputs {
  at::Tensor uncertainty;  // (Z, Y, X) (or (1, Z, Y, X)) on the original grid, higher = less sure
  at::Tensor probs;        // (K, Z, Y, X) mean class probabilities on the original grid
  at::Tensor labels;       // (Z, Y, X) predicted labels (argmax of probs, postprocessing aside)
  at::Tensor reference;    // (Z, Y, X) reference labels; undefined when there is none
  std::vector<double> foreground_voxels;  // predicted volume per sample
  int ece_bins = 15;
};

struct CaseScores {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  double mean = kNaN;      // over every voxel of the case
  double inside = kNaN;    // over the predicted structure (labels > 0); NaN when it is empty
  double boundary = kNaN;  // over boundary_mask(labels); NaN when it is empty
  double volume_cv = 0;    // volume_cv(foreground_voxels): 0 for a single pass
  // With a reference only:
  double dice = kNaN;   // mean over labels 1..K-1 of Dice (pipeline::dice_per_class)
  double auroc = kNaN;  // uncertainty ranking the voxels where labels != reference
  double ece = kNaN;    // confidence = max_k probs (K = 1: max(p, 1 - p)), correct = no error
  int64_t error_voxels = -1;
  // With a reference: this case's sums for the AUROC and ECE pooled over a cohort's voxels
  // (error_histogram ranks `uncertainty` of error voxels; calibration has ece_bins bins).
  RankHistogram error_histogram;
  CalibrationSums calibration;
};

// Throws unetx::Error when the shapes of the inputs disagree.
CaseScores score_case(const CaseScoreInputs& in);

}  // namespace unetx::xai
