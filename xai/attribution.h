// What every attribution method shares: the objective it explains (a target class's logits over
// a region, see targets.h), the options of all methods in one struct, and the signature the
// method registry (methods.h) maps names to.
#pragma once

#include <ATen/ATen.h>

#include <array>
#include <functional>
#include <string>
#include <utility>

#include "models/segmentation_model.h"
#include "xai/targets.h"

namespace unetx::xai {

// f(x) per sample = sample_scores(model(x), target_class, region, reduce).
struct Objective {
  int64_t target_class = 1;
  Reduce reduce = Reduce::sum;
  bool border = false;  // with no fixed region: the border of the predicted region
  // (B, spatial...) bool, fixed; undefined: derived from the logits being scored (predicted
  // region or its border). Perturbation methods fix it first (fix_region) so that f does not
  // jump when a perturbation moves the argmax.
  at::Tensor region;

  // The region scored for `logits` (B, K, spatial...) -> (B, spatial...) bool.
  at::Tensor region_of(const at::Tensor& logits) const;
  // (B,) scores, attached to the graph of `logits`.
  at::Tensor scores(const at::Tensor& logits) const;
  // The same objective for a batch of `copies` stacked copies of every sample (copy-major:
  // sample b of copy k at k * B + b), as the batched steps of IG and SmoothGrad build them.
  Objective repeated(int64_t copies) const;
};

// Settings of every method; each reads only its own.
struct MethodOptions {
  int samples = 16;        // smoothgrad: noisy copies
  double noise = 0.15;     // smoothgrad: sigma as a fraction of each sample's (max - min)
  int steps = 32;          // integrated gradients: Riemann midpoint steps
  int batch = 8;           // copies (IG steps, SmoothGrad samples, occluded inputs) per pass
  std::string layer;       // gradcam / guided_gradcam tap; empty = decoder.1 (or decoder.0)
  std::array<int64_t, 3> window{8, 8, 8};  // occlusion patch (z, y, x); z unused in 2-D
  std::array<int64_t, 3> stride{8, 8, 8};  // occlusion stride (z, y, x)
};

// An attribution of the objective at x.
//   x, baseline: (B, C, spatial...) on the model's device (baseline: reference input of
//   DeepLIFT, IG and occlusion; others ignore it); returns (B, C, spatial...) input-space
//   attributions or (B, 1, spatial...) maps (CAM-like methods), float32, detached.
using AttributionFn = std::function<at::Tensor(models::SegmentationModel& model, const at::Tensor& x,
                                               const at::Tensor& baseline, const Objective& obj,
                                               const MethodOptions& options)>;

// The device of the model's parameters (CPU for a parameterless model).
at::Device model_device(const models::SegmentationModel& model);

// obj with its region fixed from one no-grad forward pass on x (unchanged when already fixed).
Objective fix_region(models::SegmentationModel& model, const at::Tensor& x, const Objective& obj);

// (B,) objective values at x, no gradient.
at::Tensor objective_values(models::SegmentationModel& model, const at::Tensor& x,
                            const Objective& obj);

// {df/dx (B, C, spatial...), f(x) (B,)} by one forward and one backward pass, whatever the outer
// grad mode; no parameter's .grad is touched. The backward rule of the network's activations is
// the current AttributionMode's (models/attribution_mode.h).
std::pair<at::Tensor, at::Tensor> input_gradient(models::SegmentationModel& model,
                                                 const at::Tensor& x, const Objective& obj);

}  // namespace unetx::xai
