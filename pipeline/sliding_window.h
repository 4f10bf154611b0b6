// Sliding-window inference over a whole volume with Gaussian blending of overlapping windows,
// as in nnU-Net. The per-window function is arbitrary (logits, probabilities, CAMs, ...), so
// predict, explain and uncertainty share it. The window layout and the batched calls are exposed
// too, so slab-wise inference (slab_inference.h) places the same windows in the same order.
#pragma once

#include <ATen/ATen.h>

#include <array>
#include <functional>
#include <vector>

namespace unetx::pipeline {

struct SlidingWindowOptions {
  std::array<int64_t, 3> patch_xyz{64, 64, 64};  // (x, y, z) voxels; z is ignored when 2-D
  double overlap = 0.5;  // fraction of the patch shared by neighbouring windows, in [0, 1)
  int batch_size = 4;    // windows per call of fn
  int spatial_dims = 3;  // 3: volumetric windows; 2: slice by slice along z
};

// Maps a batch of windows (B, C, spatial...) to per-window outputs (B, K, spatial...).
using WindowFn = std::function<at::Tensor(const at::Tensor& batch)>;

// Smallest importance weight: keeps the border of a window from having zero weight.
inline constexpr float kMinImportance = 1e-3f;

// Separable Gaussian centred on the patch, sigma = sigma_scale * patch size per axis, scaled to
// a maximum of 1 and clamped below at kMinImportance. (pz, py, px) float32.
at::Tensor gaussian_importance(const std::array<int64_t, 3>& patch_xyz, double sigma_scale = 0.125);

// Where the windows over an image of `size` (Z, Y, X) voxels sit. All arrays are (z, y, x).
struct WindowGrid {
  std::array<int64_t, 3> size{};    // the image
  std::array<int64_t, 3> patch{};   // window extent; z = 1 when 2-D
  std::array<int64_t, 3> padded{};  // the image after symmetric zero padding up to the patch
  std::array<int64_t, 3> pad_lo{};  // padding before voxel 0
  // Window corners in padded voxels, sorted by z, then y, then x: the order fn sees them in.
  std::vector<std::array<int64_t, 3>> starts;
};

// The view of t (C, Z, Y, X) at `corner_zyx` of `size_zyx` (a window, or a slab of windows).
at::Tensor window_box(const at::Tensor& t, const std::array<int64_t, 3>& corner_zyx,
                      const std::array<int64_t, 3>& size_zyx);

// Windows spaced evenly along each axis so that neighbours overlap by at least `overlap` and the
// first and last touch the borders; 2-D: every z slice separately. Throws unetx::Error for
// invalid options.
WindowGrid window_grid(const std::array<int64_t, 3>& size_zyx, const SlidingWindowOptions& options);

// image (C, Z, Y, X) as float32, zero padded as `grid` says (no copy when no padding is needed).
at::Tensor pad_to_grid(const at::Tensor& image, const WindowGrid& grid);

// Calls fn on batches of windows of `padded` (from pad_to_grid) in grid order and hands each
// window's output to `consume(window index, output (K, pz, py, px) float32)`. 2-D: fn gets
// (B, C, py, px) and returns (B, K, py, px); consume still gets pz = 1. Throws unetx::Error when
// fn's output has the wrong shape.
void run_windows(const at::Tensor& padded, const WindowGrid& grid, int64_t out_channels,
                 const SlidingWindowOptions& options, const WindowFn& fn,
                 const std::function<void(size_t, const at::Tensor&)>& consume);

// Tiles image (C, Z, Y, X) with the windows of window_grid (an image smaller than the patch is
// zero padded symmetrically), calls fn on batches of windows and blends the outputs with the
// Gaussian importance. 3-D: fn gets (B, C, pz, py, px) and returns (B, K, pz, py, px). 2-D: every
// z slice is tiled in-plane; fn gets (B, C, py, px) and returns (B, K, py, px). Returns
// (K, Z, Y, X) float32 on image's device: the weighted mean of all windows covering each voxel.
// Sets no grad mode: under torch::NoGradGuard it is inference; without it, gradients flow into
// fn's output.
at::Tensor sliding_window(const at::Tensor& image, int64_t out_channels,
                          const SlidingWindowOptions& options, const WindowFn& fn);

}  // namespace unetx::pipeline
