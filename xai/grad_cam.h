// Grad-CAM (Selvaraju et al., 2017) for segmentation networks, on any named tap of a
// SegmentationModel.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>

#include "models/segmentation_model.h"

namespace unetx::xai {

// Grad-CAM of `target_class` at tap `tap`, explaining region_score over the model's own
// predicted region of that class (see targets.h).
//   A = activation of `tap` (B, K_tap, tap spatial...), S = region_score(model(input), class)
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
                    const std::string& tap, int64_t target_class);

// m / max(m) with negatives clamped to 0, so the result is in [0, 1]; an all-zero (or
// all-negative) map stays zero. Any shape; returns float32.
at::Tensor normalize_map(const at::Tensor& m);

}  // namespace unetx::xai
