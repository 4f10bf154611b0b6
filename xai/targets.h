// The scalar an attribution explains. For segmentation there is no single class score, so we
// follow the usual U-Net interpretability convention (e.g. Vinogradova et al., "Towards
// interpretable semantic segmentation via gradient-weighted class activation mapping", 2020):
// explain the target-class logit summed over a region, by default the region the model itself
// segments as that class.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>

namespace unetx::xai {

// Voxels whose argmax over classes is `target_class`.
// logits: (B, K, spatial...) -> (B, spatial...) bool. Throws unetx::Error when the class is not
// in [0, K).
at::Tensor predicted_region(const at::Tensor& logits, int64_t target_class);

// sum over the region (and over the batch) of logits[:, target_class]: a 0-d tensor that stays
// attached to the autograd graph of `logits`.
// region: (B, spatial...) bool or {0,1}; undefined = predicted_region(logits, target_class).
// An empty region gives a score of exactly 0 whose gradient is 0 everywhere, so every
// gradient-based map (Grad-CAM included) is then 0 as well: "nothing segmented, nothing to
// explain". Samples in a batch are independent in eval mode, so the gradient of the summed
// score with respect to sample b's activations is that of sample b's own score.
at::Tensor region_score(const at::Tensor& logits, int64_t target_class,
                        const at::Tensor& region = at::Tensor());

}  // namespace unetx::xai
