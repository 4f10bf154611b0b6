#include "pipeline/spatial_augment.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <stdexcept>

namespace unetx::pipeline {
namespace {

using Mat3 = std::array<std::array<double, 3>, 3>;

Mat3 multiply(const Mat3& a, const Mat3& b) {
  Mat3 r{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 3; ++k) r[i][j] += a[i][k] * b[k][j];
  return r;
}

// Rotation of (x, y, z) offsets about axis `axis` (0 = x, 1 = y, 2 = z) by `angle`.
Mat3 rotation(int axis, double angle) {
  const double c = std::cos(angle), s = std::sin(angle);
  const int a = (axis + 1) % 3, b = (axis + 2) % 3;
  Mat3 r{};
  r[axis][axis] = 1;
  r[a][a] = c, r[a][b] = -s, r[b][a] = s, r[b][b] = c;
  return r;
}

// 1-D Gaussian weights for radius ceil(3 sigma), summing to 1.
at::Tensor gaussian_kernel(double sigma) {
  const int64_t radius = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(3.0 * sigma)));
  at::Tensor k = at::arange(-radius, radius + 1, at::kDouble);
  k = at::exp(-(k * k) / (2.0 * sigma * sigma));
  return (k / k.sum()).to(at::kFloat);
}

}  // namespace

at::Tensor gaussian_blur(const at::Tensor& x, const std::vector<double>& sigma) {
  const int64_t dims = x.dim() - 1;
  if (dims < 1 || static_cast<int64_t>(sigma.size()) != dims) {
    throw std::invalid_argument("gaussian_blur: need (C, spatial...) and one sigma per axis");
  }
  // Channels become the batch so one single-channel convolution serves every channel.
  at::Tensor y = x.to(at::kFloat).unsqueeze(1);  // (C, 1, spatial...)
  for (int64_t a = 0; a < dims; ++a) {
    if (sigma[a] <= 0) continue;
    const at::Tensor k = gaussian_kernel(sigma[a]);
    std::vector<int64_t> shape(static_cast<size_t>(dims) + 2, 1), pad(static_cast<size_t>(dims), 0);
    shape[static_cast<size_t>(a) + 2] = k.numel();
    pad[static_cast<size_t>(a)] = k.numel() / 2;
    const at::Tensor w = k.view(shape);
    y = dims == 3 ? at::conv3d(y, w, {}, 1, pad) : dims == 2 ? at::conv2d(y, w, {}, 1, pad)
                                                           : at::conv1d(y, w, {}, 1, pad);
  }
  return y.squeeze(1);
}

at::Tensor sampling_coordinates(const std::array<double, 3>& centre_zyx,
                                const std::array<int64_t, 3>& patch_zyx,
                                const SpatialTransform& t, int spatial_dims) {
  if (spatial_dims == 2 && patch_zyx[0] != 1) {
    throw std::invalid_argument("sampling_coordinates: a 2-D patch has z size 1");
  }
  // Offsets of the patch voxels from its centre, (pz, py, px, 3) in (x, y, z) order.
  const auto axis = [&](int d) {
    return at::arange(patch_zyx[d], at::kDouble) - (static_cast<double>(patch_zyx[d]) - 1) / 2;
  };
  const auto grid = at::meshgrid({axis(0), axis(1), axis(2)}, "ij");
  at::Tensor offsets = at::stack({grid[2], grid[1], grid[0]}, -1);
  Mat3 m = rotation(2, t.angles_zyx[0]);
  if (spatial_dims == 3) m = multiply(m, multiply(rotation(1, t.angles_zyx[1]), rotation(0, t.angles_zyx[2])));
  at::Tensor mt = at::empty({3, 3}, at::kDouble);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) mt[i][j] = m[j][i] / t.scale;  // transposed: rows are offsets
  at::Tensor src = at::matmul(offsets, mt);
  if (t.elastic_alpha > 0) {
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(t.elastic_seed);
    at::Tensor field = at::randn({3, patch_zyx[0], patch_zyx[1], patch_zyx[2]}, gen, at::kFloat);
    const double s = t.elastic_sigma;
    field = gaussian_blur(field, {spatial_dims == 3 ? s : 0.0, s, s});
    // Normalised so alpha is the displacement's typical size whatever sigma smoothed away.
    field = field / field.std().clamp_min(1e-12) * t.elastic_alpha;
    if (spatial_dims == 2) field[2].zero_();
    src = src + field.permute({1, 2, 3, 0}).to(at::kDouble);
  }
  // (x, y, z) offsets -> (z, y, x) source coordinates.
  return at::stack({src.select(-1, 2) + centre_zyx[0], src.select(-1, 1) + centre_zyx[1],
                    src.select(-1, 0) + centre_zyx[2]},
                   -1);
}

std::pair<at::Tensor, at::Tensor> resample_patch(const at::Tensor& image, const at::Tensor& label,
                                                 const at::Tensor& coords) {
  // grid_sample (align_corners) wants (x, y, z) in [-1, 1]; an axis of length 1 has only 0,
  // and anything off it must read as outside.
  std::vector<at::Tensor> norm;
  for (int d = 2; d >= 0; --d) {
    const int64_t n = image.size(d + 1);
    const at::Tensor c = coords.select(-1, d);
    norm.push_back(n > 1 ? c * (2.0 / static_cast<double>(n - 1)) - 1.0
                         : at::where(c.abs() < 0.5, at::zeros_like(c), at::full_like(c, 3.0)));
  }
  const at::Tensor grid = at::stack(norm, -1).to(at::kFloat).unsqueeze(0);
  constexpr int64_t kLinear = 0, kNearest = 1, kZeros = 0;
  const at::Tensor img =
      at::grid_sampler(image.to(at::kFloat).unsqueeze(0), grid, kLinear, kZeros, true).squeeze(0);
  const at::Tensor lab =
      at::grid_sampler(label.to(at::kFloat).unsqueeze(0), grid, kNearest, kZeros, true)[0][0];
  return {img, lab.round().to(at::kLong)};
}

}  // namespace unetx::pipeline
