#include "pipeline/sliding_window.h"

#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "io/error.h"

namespace unetx::pipeline {

namespace {

using Zyx = std::array<int64_t, 3>;

// Window starts along an axis of length n >= p: evenly spaced, first 0, last n - p, with steps
// of at most p * (1 - overlap).
std::vector<int64_t> window_starts(int64_t n, int64_t p, double overlap) {
  if (n <= p) return {0};
  const double step = std::max(1.0, static_cast<double>(p) * (1.0 - overlap));
  const int64_t count = static_cast<int64_t>(std::ceil(static_cast<double>(n - p) / step)) + 1;
  std::vector<int64_t> starts;
  for (int64_t i = 0; i < count; ++i) {
    starts.push_back(static_cast<int64_t>(
        std::llround(static_cast<double>(i) * static_cast<double>(n - p) / (count - 1))));
  }
  return starts;
}

at::Tensor gaussian_1d(int64_t n, double sigma_scale) {
  auto x = at::arange(n, at::TensorOptions().dtype(at::kDouble)) - (n - 1) / 2.0;
  const double sigma = std::max(sigma_scale * static_cast<double>(n), 1e-6);
  return (-(x * x) / (2 * sigma * sigma)).exp();
}

}  // namespace

at::Tensor window_box(const at::Tensor& t, const std::array<int64_t, 3>& corner_zyx,
                      const std::array<int64_t, 3>& size_zyx) {
  return t.slice(1, corner_zyx[0], corner_zyx[0] + size_zyx[0])
      .slice(2, corner_zyx[1], corner_zyx[1] + size_zyx[1])
      .slice(3, corner_zyx[2], corner_zyx[2] + size_zyx[2]);
}

at::Tensor gaussian_importance(const std::array<int64_t, 3>& patch_xyz, double sigma_scale) {
  const auto gz = gaussian_1d(patch_xyz[2], sigma_scale).view({-1, 1, 1});
  const auto gy = gaussian_1d(patch_xyz[1], sigma_scale).view({1, -1, 1});
  const auto gx = gaussian_1d(patch_xyz[0], sigma_scale).view({1, 1, -1});
  auto g = gz * gy * gx;
  g = g / g.max();
  return g.clamp_min(kMinImportance).to(at::kFloat);
}

WindowGrid window_grid(const std::array<int64_t, 3>& size_zyx,
                       const SlidingWindowOptions& options) {
  if (options.spatial_dims != 2 && options.spatial_dims != 3) {
    throw Error("", "sliding window: spatial_dims must be 2 or 3");
  }
  if (options.batch_size < 1 || !(options.overlap >= 0 && options.overlap < 1)) {
    throw Error("", "sliding window: need batch_size >= 1 and overlap in [0, 1)");
  }
  const bool two_d = options.spatial_dims == 2;
  WindowGrid g;
  g.size = size_zyx;
  g.patch = {two_d ? 1 : options.patch_xyz[2], options.patch_xyz[1], options.patch_xyz[0]};
  for (int a = 0; a < 3; ++a) {
    const int64_t total = std::max<int64_t>(0, g.patch[a] - g.size[a]);
    g.pad_lo[a] = total / 2;
    g.padded[a] = g.size[a] + total;
  }
  for (int64_t z : window_starts(g.padded[0], g.patch[0], two_d ? 0.0 : options.overlap)) {
    for (int64_t y : window_starts(g.padded[1], g.patch[1], options.overlap)) {
      for (int64_t x : window_starts(g.padded[2], g.patch[2], options.overlap))
        g.starts.push_back({z, y, x});
    }
  }
  return g;
}

at::Tensor pad_to_grid(const at::Tensor& image, const WindowGrid& grid) {
  if (grid.padded == grid.size) return image.to(at::kFloat);
  std::vector<int64_t> pad_arg;  // constant_pad_nd order: x lo/hi, y lo/hi, z lo/hi
  for (int a = 2; a >= 0; --a) {
    pad_arg.push_back(grid.pad_lo[a]);
    pad_arg.push_back(grid.padded[a] - grid.size[a] - grid.pad_lo[a]);
  }
  return at::constant_pad_nd(image.to(at::kFloat), pad_arg, 0);
}

void run_windows(const at::Tensor& padded, const WindowGrid& grid, int64_t out_channels,
                 const SlidingWindowOptions& options, const WindowFn& fn,
                 const std::function<void(size_t, const at::Tensor&)>& consume) {
  const bool two_d = options.spatial_dims == 2;
  const auto& windows = grid.starts;
  for (size_t first = 0; first < windows.size(); first += options.batch_size) {
    const size_t last = std::min(windows.size(), first + options.batch_size);
    std::vector<at::Tensor> crops;
    for (size_t i = first; i < last; ++i) crops.push_back(window_box(padded, windows[i], grid.patch));
    auto batch = at::stack(crops);  // (B, C, pz, py, px)
    if (two_d) batch = batch.squeeze(2);
    auto out = fn(batch);
    const int64_t b = static_cast<int64_t>(last - first);
    const bool ok = out.defined() && out.dim() == batch.dim() && out.size(0) == b &&
                    out.size(1) == out_channels && out.sizes().slice(2) == batch.sizes().slice(2);
    if (!ok) {
      throw Error("", "sliding window: fn returned shape " +
                          std::string(out.defined() ? c10::str(out.sizes()) : "undefined") +
                          ", expected " + std::to_string(b) + " x " + std::to_string(out_channels) +
                          " x window");
    }
    out = out.to(padded.device(), at::kFloat);
    if (two_d) out = out.unsqueeze(2);
    for (int64_t i = 0; i < b; ++i) consume(first + i, out[i]);
  }
}

at::Tensor sliding_window(const at::Tensor& image, int64_t out_channels,
                          const SlidingWindowOptions& options, const WindowFn& fn) {
  if (image.dim() != 4) throw Error("", "sliding window: image must be (C, Z, Y, X)");
  const WindowGrid grid = window_grid({image.size(1), image.size(2), image.size(3)}, options);
  const auto x = pad_to_grid(image, grid);
  const Zyx& p = grid.patch;
  const auto weight = gaussian_importance({p[2], p[1], p[0]}).to(image.device());
  const Zyx& n = grid.padded;
  auto acc = at::zeros({out_channels, n[0], n[1], n[2]}, x.options());
  auto weight_sum = at::zeros({1, n[0], n[1], n[2]}, x.options());
  run_windows(x, grid, out_channels, options, fn, [&](size_t i, const at::Tensor& out) {
    window_box(acc, grid.starts[i], p).add_(out * weight);
    window_box(weight_sum, grid.starts[i], p).add_(weight);
  });
  // In place when nothing is differentiated: one K-channel volume fewer at the peak.
  auto result = at::GradMode::is_enabled() ? acc / weight_sum : acc.div_(weight_sum);
  const Zyx& lo = grid.pad_lo;
  return result.slice(1, lo[0], lo[0] + grid.size[0])
      .slice(2, lo[1], lo[1] + grid.size[1])
      .slice(3, lo[2], lo[2] + grid.size[2])
      .contiguous();
}

}  // namespace unetx::pipeline
