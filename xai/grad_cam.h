// Grad-CAM (Selvaraju et al., 2017) for segmentation networks, on any named tap of a
// SegmentationModel.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

#include "models/segmentation_model.h"
#include "xai/attribution.h"

namespace unetx::xai {

// Grad-CAM at tap `tap` of the objective (attribution.h): its scores summed over the batch, the
// region taken from the same forward pass unless obj fixes it.
//   A = activation of `tap` (B, K_tap, tap spatial...), S = sum over b of obj.scores(model(input))
//   alpha_bk = mean over tap space of dS/dA_bk;  cam_b = ReLU(sum_k alpha_bk A_bk)
// then upsampled (bilinear / trilinear, align_corners=false) to the input's spatial size.
// input: (B, C, spatial...), moved to the model's device for the passes -> (B, 1, spatial...)
// float32 on the input's device, detached and NOT normalized (the caller stitches windows
// first, then calls normalize_map per case). Where the predicted region is empty the map is 0.
// Grad mode is switched on inside (works under an outer NoGradGuard); the caller chooses
// train/eval mode (use eval: batch norm in train mode couples the samples of a batch). Taps are
// recorded only for this call and recording is off again afterwards, also on error; gradients
// are taken with autograd::grad, so no parameter's .grad is created or changed.
// Throws unetx::Error("--layer <tap>", "unknown tap; available: ...") for an unknown tap.
at::Tensor grad_cam(models::SegmentationModel& model, const at::Tensor& input,
                    const std::string& tap, const Objective& obj);
// The same for the sum of `target_class`'s logits over its predicted region.
at::Tensor grad_cam(models::SegmentationModel& model, const at::Tensor& input,
                    const std::string& tap, int64_t target_class);

// Grad-CAM is most informative one stage above full resolution: coarse enough to be semantic,
// fine enough to follow the organ's outline. "decoder.1" when the model has it, else "decoder.0".
std::string default_cam_layer(const models::SegmentationModel& model);
// The taps of every encoder/decoder stage (encoder.i, bottleneck, decoder.i) in tap_names()
// order: what `--layer all` explains, one map each.
std::vector<std::string> stage_taps(const models::SegmentationModel& model);

// AttributionFn adapters (attribution.h), (B, 1, spatial...) maps:
// Grad-CAM at options.layer (empty: default_cam_layer).
at::Tensor gradcam_method(models::SegmentationModel& model, const at::Tensor& x,
                          const at::Tensor& baseline, const Objective& obj,
                          const MethodOptions& options);
// Guided Grad-CAM: guided_backprop (B, C, ...) times the Grad-CAM map, broadcast over channels
// -> (B, C, spatial...).
at::Tensor guided_gradcam(models::SegmentationModel& model, const at::Tensor& x,
                          const at::Tensor& baseline, const Objective& obj,
                          const MethodOptions& options);

// (B, M, s...) -> (B, M, size...), (bi|tri)linear with align_corners=false; unchanged when the
// sizes already match.
at::Tensor upsample_map(const at::Tensor& map, at::IntArrayRef size);

// m / max(m) with negatives clamped to 0, so the result is in [0, 1]; an all-zero (or
// all-negative) map stays zero. Any shape; returns float32.
at::Tensor normalize_map(const at::Tensor& m);

}  // namespace unetx::xai
