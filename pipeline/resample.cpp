#include "pipeline/resample.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "io/error.h"

namespace unetx::pipeline {

namespace {

// Resamples tensor dim `dim` (of length n_in) to n_out samples at input positions
// i * scale, clamped to [0, n_in - 1].
at::Tensor resample_axis(const at::Tensor& x, int64_t dim, int64_t n_out, double scale,
                         Interp interp) {
  const int64_t n_in = x.size(dim);
  if (n_in == n_out && scale == 1.0) return x;
  auto pos = at::arange(n_out, at::TensorOptions().dtype(at::kDouble)) * scale;
  pos = pos.clamp(0.0, static_cast<double>(n_in - 1));
  const auto long_opts = at::TensorOptions().dtype(at::kLong).device(x.device());
  if (interp == Interp::Nearest) {
    // floor(p + 0.5): ties go up, like ITK's NearestNeighborInterpolateImageFunction.
    auto idx = (pos + 0.5).floor().clamp_max(static_cast<double>(n_in - 1)).to(long_opts);
    return x.index_select(dim, idx);
  }
  auto lo = pos.floor();
  auto weight = pos - lo;
  auto i0 = lo.to(long_opts);
  auto i1 = (i0 + 1).clamp_max(n_in - 1);
  std::vector<int64_t> shape(x.dim(), 1);
  shape[dim] = n_out;
  weight = weight.to(x.options()).view(shape);
  auto a = x.index_select(dim, i0);
  auto b = x.index_select(dim, i1);
  return at::lerp(a, b, weight);
}

}  // namespace

std::array<int64_t, 3> resampled_size(const std::array<int64_t, 3>& size_xyz,
                                      const std::array<double, 3>& spacing_from,
                                      const std::array<double, 3>& spacing_to) {
  std::array<int64_t, 3> out{};
  for (int a = 0; a < 3; ++a) {
    if (!(spacing_from[a] > 0) || !(spacing_to[a] > 0)) {
      throw Error("", "resampled_size: spacings must be positive");
    }
    const double n = std::round(static_cast<double>(size_xyz[a]) * spacing_from[a] / spacing_to[a]);
    out[a] = std::max<int64_t>(1, static_cast<int64_t>(n));
  }
  return out;
}

at::Tensor resample(const at::Tensor& x, const std::array<double, 3>& spacing_from,
                    const std::array<double, 3>& spacing_to,
                    const std::array<int64_t, 3>& size_to_xyz, Interp interp) {
  if (x.dim() != 4) {
    throw Error(
        "", "resample: expected a (C, Z, Y, X) tensor, got " + std::to_string(x.dim()) + " dims");
  }
  for (int a = 0; a < 3; ++a) {
    if (!(spacing_from[a] > 0) || !(spacing_to[a] > 0) || size_to_xyz[a] < 1) {
      throw Error("", "resample: spacings and sizes must be positive");
    }
  }
  at::Tensor y = x;
  if (interp == Interp::Linear && !at::isFloatingType(x.scalar_type())) y = x.to(at::kFloat);
  if (interp == Interp::Linear && x.scalar_type() != at::kDouble) y = y.to(at::kFloat);

  // Tensor dim 3 is x, 2 is y, 1 is z.
  std::array<int, 3> order{0, 1, 2};
  auto ratio = [&](int a) {
    return static_cast<double>(size_to_xyz[a]) / static_cast<double>(x.size(3 - a));
  };
  std::sort(order.begin(), order.end(), [&](int a, int b) { return ratio(a) < ratio(b); });
  for (int a : order) {
    y = resample_axis(y, 3 - a, size_to_xyz[a], spacing_to[a] / spacing_from[a], interp);
  }
  return y.is_same(x) ? x.clone() : y.contiguous();
}

io::Geometry resampled_geometry(const io::Geometry& geometry,
                                const std::array<double, 3>& spacing_to) {
  io::Geometry g = geometry;
  g.spacing = spacing_to;
  return g;
}

}  // namespace unetx::pipeline
