// One case of `unetx explain` on the plan grid: what the sliding windows carry (image, optional
// baseline image, optional target region, stacked as channels so the pipeline's windowing and
// Gaussian stitching serve them unchanged), the per-window attribution, and the window the
// faithfulness scores are taken on.
#pragma once

#include <ATen/ATen.h>

#include <filesystem>
#include <string>

#include "pipeline/inference.h"
#include "xai/faithfulness.h"
#include "xai/methods.h"

namespace unetx::xai {

// What is explained and against what, for every case of a run.
struct ExplainSpec {
  TargetSpec target;
  Reduce reduce = Reduce::sum;
  int64_t target_class = 1;
  std::string baseline = "zeros";  // zeros | blur | a file (see ExplainSettings)
};

// Plan-grid channels of one case: [image (C) | baseline (C), when a file | region (1), for mask
// and box targets]. (C', Z, Y, X) float32.
struct PackedCase {
  at::Tensor packed;
  int64_t channels = 0;  // C, the image's
  bool has_baseline = false;
  bool has_region = false;
};

// Builds the packed channels of case `id` from its prediction (image on the original grid and
// plan grid). Throws unetx::Error naming the mask or baseline file when it cannot be read or
// does not fit the case's grid, or the case when a box lies outside the image.
PackedCase pack_case(const pipeline::CasePrediction& p, const std::string& id,
                     const ExplainSpec& spec, const pipeline::Plan& plan);

// The attribution of `job` for a batch of packed windows (B, C', spatial...) -> (B, 1,
// spatial...) float32 on the CPU: the method's output summed over input channels.
at::Tensor explain_windows(models::SegmentationModel& model, const MapJob& job,
                           const ExplainSpec& spec, const PackedCase& layout,
                           const at::Tensor& batch);

// The faithfulness scores of `job` on one window of the case (patch size of the plan, centred
// on the target region, or on the image centre when the region is empty or unknown).
// seed makes the random perturbations reproducible.
FaithfulnessScores case_faithfulness(models::SegmentationModel& model, const MapJob& job,
                                     const ExplainSpec& spec, const PackedCase& packed,
                                     const pipeline::CasePrediction& p, const pipeline::Plan& plan,
                                     const pipeline::InferenceOptions& inference,
                                     const FaithfulnessOptions& options, uint64_t seed);

}  // namespace unetx::xai
