// Sliding-window inference over a whole volume with Gaussian blending of overlapping windows,
// as in nnU-Net. The per-window function is arbitrary (logits, probabilities, CAMs, ...), so
// predict, explain and uncertainty share it.
#pragma once

#include <ATen/ATen.h>

#include <array>
#include <functional>

namespace unetx::pipeline {

struct SlidingWindowOptions {
  std::array<int64_t, 3> patch_xyz{64, 64, 64};  // (x, y, z) voxels; z is ignored when 2-D
  double overlap = 0.5;  // fraction of the patch shared by neighbouring windows, in [0, 1)
  int batch_size = 4;    // windows per call of fn
  int spatial_dims = 3;  // 3: volumetric windows; 2: slice by slice along z
};

// Smallest importance weight: keeps the border of a window from having zero weight.
inline constexpr float kMinImportance = 1e-3f;

// Separable Gaussian centred on the patch, sigma = sigma_scale * patch size per axis, scaled to
// a maximum of 1 and clamped below at kMinImportance. (pz, py, px) float32.
at::Tensor gaussian_importance(const std::array<int64_t, 3>& patch_xyz, double sigma_scale = 0.125);

// Tiles image (C, Z, Y, X) with windows spaced evenly so that neighbours overlap by at least
// `overlap` and the first and last touch the borders (an image smaller than the patch is zero
// padded symmetrically), calls fn on batches of windows and blends the outputs with the Gaussian
// importance. 3-D: fn gets (B, C, pz, py, px) and returns (B, K, pz, py, px). 2-D: every z slice
// is tiled in-plane; fn gets (B, C, py, px) and returns (B, K, py, px). Returns (K, Z, Y, X)
// float32 on image's device: the weighted mean of all windows covering each voxel.
// Sets no grad mode: under torch::NoGradGuard it is inference; without it, gradients flow into
// fn's output.
at::Tensor sliding_window(const at::Tensor& image, int64_t out_channels,
                          const SlidingWindowOptions& options,
                          const std::function<at::Tensor(const at::Tensor& batch)>& fn);

}  // namespace unetx::pipeline
