// Intensity normalization of preprocessed images.
#pragma once

#include <ATen/ATen.h>

namespace unetx::pipeline {

// Smallest standard deviation zscore divides by: a constant channel maps to 0 instead of NaN.
inline constexpr double kZscoreMinStd = 1e-8;

// Per-channel z-score of x (C, ...): (x - mean_c) / max(std_c, kZscoreMinStd), with the
// population standard deviation over all voxels of the channel. Statistics are computed in
// float64; the result is float32 of the same shape.
at::Tensor zscore(const at::Tensor& x);

}  // namespace unetx::pipeline
