// The attribution method registry: `--method` names -> functions, so the cohort run needs no
// switch over methods and a new method is one entry here.
#pragma once

#include <string>
#include <vector>

#include "xai/attribution.h"

namespace unetx::xai {

struct MethodInfo {
  std::string name;  // as given to --method
  AttributionFn fn;
  // The case map is scaled to [0, 1] (CAM-like, non-negative maps); otherwise it is written in
  // the objective's units (signed sums of input-space attributions over channels).
  bool unit_scaled = false;
  bool uses_baseline = false;  // DeepLIFT, IG, occlusion
  std::string help;            // one line for --help
};

// Every method, in --help order: saliency, input_x_gradient, smoothgrad, guided_backprop,
// gradcam, guided_gradcam, deeplift, integrated_gradients, occlusion, mhex_cam.
const std::vector<MethodInfo>& attribution_methods();

// Throws unetx::Error("--method <name>", "unknown method; available: ...").
const MethodInfo& find_method(const std::string& name);

// One map to compute per case: a method with its options, and the name its files carry
// (<case>_<name>.nii.gz): the method's, or "gradcam_<tap>" for each stage of `--layer all`.
struct MapJob {
  std::string name;
  const MethodInfo* method = nullptr;
  MethodOptions options;
};

// Jobs for a comma-separated method list ("gradcam,deeplift"). options.layer == "all" expands
// gradcam and guided_gradcam into one job per stage tap of `model` (grad_cam.h: stage_taps).
// Throws unetx::Error for an unknown or repeated method, or an empty list.
std::vector<MapJob> expand_methods(const std::string& list, const models::SegmentationModel& model,
                                   const MethodOptions& options);

}  // namespace unetx::xai
