// Collaboration gradient (EU-Net, Sun & Lio 2025): how consistently adjacent decoder levels
// push the prediction, as an uncertainty that needs one model and one forward + backward pass.
//
// Our concrete definition (the paper gives the idea, not a formula we could copy): the score is
// S = sum over voxels of the winning class's logit, so every voxel's own decision is explained.
// For each decoder tap "decoder.i" (activation A_i, C_i channels, 2^-i of the input size) the
// gradient-times-activation map m_i = sum_c A_i[c] dS/dA_i[c] is that level's first-order
// contribution to S per voxel; it is nearest-upsampled to the input size (so channel counts and
// resolutions of the levels need not match). For adjacent levels i, i+1 the cosine similarity
// of m_i and m_{i+1} over the w^D neighbourhood of each voxel (w = 3, zero outside the window),
//   cos_i(v) = sum_n m_i m_{i+1} / sqrt(sum_n m_i^2 sum_n m_{i+1}^2),
// is 1 where the levels agree in sign and shape and -1 where they work against each other
// (0 where either has no gradient). The voxel map is the mean over the L-1 adjacent pairs, in
// [-1, 1]; the case score is its mean over the case. Uncertainty = (1 - cos) / 2, in [0, 1].
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "models/segmentation_model.h"

namespace unetx::xai {

// The decoder taps "decoder.0" .. "decoder.(L-1)" of `model`, finest first. Throws
// unetx::Error(model name, ...) when it has fewer than two, i.e. no decoder pyramid.
std::vector<std::string> decoder_levels(const models::SegmentationModel& model);

// Cosine of two maps (B, 1, spatial...) of one size over each voxel's window^D neighbourhood
// (2 or 3 spatial dims; window odd >= 1). (B, 1, spatial...) float32 in [-1, 1]; 0 where either
// map is zero over the whole neighbourhood.
at::Tensor local_cosine(const at::Tensor& a, const at::Tensor& b, int64_t window = 3);

// One forward + backward of `model` (eval mode, its own weights untouched) on windows
// (B, C, spatial...): (B, K + 1, spatial...) float32, the K softmax probabilities of that
// forward followed by the collaboration cosine map described above. Enables gradients itself.
at::Tensor collaboration_window(models::SegmentationModel& model, const at::Tensor& batch,
                                int64_t window = 3);

}  // namespace unetx::xai
