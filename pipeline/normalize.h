// Intensity normalization of preprocessed images: the per-channel schemes a Plan names.
#pragma once

#include <ATen/ATen.h>

#include <vector>

#include "pipeline/plan.h"

namespace unetx::pipeline {

// Smallest standard deviation zscore divides by: a constant channel maps to 0 instead of NaN.
inline constexpr double kZscoreMinStd = 1e-8;

// Per-channel z-score of x (C, ...): (x - mean_c) / max(std_c, kZscoreMinStd), with the
// population standard deviation over all voxels of the channel. Statistics are computed in
// float64; the result is float32 of the same shape.
at::Tensor zscore(const at::Tensor& x);

// One channel x (any shape): z-score over the voxels where `mask` (bool, same shape) is true;
// voxels outside the mask become 0 (nnU-Net's use_mask_for_norm). An empty mask gives zeros.
at::Tensor zscore_masked(const at::Tensor& x, const at::Tensor& mask);

// One channel x (any shape), CT style: clamp to [n.clip_low, n.clip_high], then
// (x - n.mean) / max(n.std, kZscoreMinStd). float32 result.
at::Tensor normalize_ct(const at::Tensor& x, const ChannelNormalization& n);

// x (C, ...) normalized channel by channel with plan.normalization_of(c); `nonzero` (bool,
// x.shape without C) is the region "zscore_nonzero" uses and may be undefined when no channel
// needs it. Returns float32.
at::Tensor normalize_channels(const at::Tensor& x, const Plan& plan, const at::Tensor& nonzero);

// True when some channel of the plan uses "zscore_nonzero".
bool needs_nonzero_mask(const Plan& plan);

}  // namespace unetx::pipeline
