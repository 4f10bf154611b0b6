#include "pipeline/synth.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "io/error.h"

namespace unetx::pipeline {

namespace {

using Mat3 = std::array<double, 9>;  // row-major
using Vec3 = std::array<double, 3>;

// Uniformly random proper rotation from a normalised Gaussian quaternion.
Mat3 random_rotation(std::mt19937_64& rng) {
  std::normal_distribution<double> normal;
  double w = normal(rng), x = normal(rng), y = normal(rng), z = normal(rng);
  const double len = std::sqrt(w * w + x * x + y * y + z * z);
  w /= len, x /= len, y /= len, z /= len;
  return {1 - 2 * (y * y + z * z), 2 * (x * y - z * w),     2 * (x * z + y * w),
          2 * (x * y + z * w),     1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
          2 * (x * z - y * w),     2 * (y * z + x * w),     1 - 2 * (x * x + y * y)};
}

Vec3 random_unit(std::mt19937_64& rng) {
  std::normal_distribution<double> normal;
  Vec3 v{normal(rng), normal(rng), normal(rng)};
  const double len = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
  return {v[0] / len, v[1] / len, v[2] / len};
}

struct Ellipsoid {
  Vec3 centre;  // mm, relative to the grid centre
  Vec3 radii;   // mm
  Mat3 rotation;
  double intensity;
  int label;
};

// Physical offsets (mm) from the grid centre of every voxel: three (Z, Y, X) float32 tensors.
std::array<at::Tensor, 3> physical_offsets(const io::Geometry& g, const std::array<int64_t, 3>& n) {
  std::array<at::Tensor, 3> axis;  // per index axis x, y, z: (index - centre) * spacing
  for (int c = 0; c < 3; ++c) {
    axis[c] = (at::arange(n[c], at::kDouble) - (n[c] - 1) / 2.0) * g.spacing[c];
  }
  const auto ix = axis[0].view({1, 1, -1});
  const auto iy = axis[1].view({1, -1, 1});
  const auto iz = axis[2].view({-1, 1, 1});
  std::array<at::Tensor, 3> q;
  for (int r = 0; r < 3; ++r) {
    const auto* d = &g.direction[r * 3];
    q[r] = (d[0] * ix + d[1] * iy + d[2] * iz).to(at::kFloat);
  }
  return q;
}

// Boolean (Z, Y, X) mask of the voxels inside `e`.
at::Tensor inside(const Ellipsoid& e, const std::array<at::Tensor, 3>& q) {
  at::Tensor sum;
  for (int c = 0; c < 3; ++c) {  // local coordinate c = column c of the rotation . (q - centre)
    auto local = (q[0] - e.centre[0]) * e.rotation[0 * 3 + c] +
                 (q[1] - e.centre[1]) * e.rotation[1 * 3 + c] +
                 (q[2] - e.centre[2]) * e.rotation[2 * 3 + c];
    auto term = (local / e.radii[c]).square();
    sum = sum.defined() ? sum + term : term;
  }
  return sum.le(1.0);
}

io::Geometry random_geometry(std::mt19937_64& rng) {
  io::Geometry g;
  std::uniform_real_distribution<double> spacing(0.8, 2.0), origin(-100.0, 100.0);
  for (int c = 0; c < 3; ++c) g.spacing[c] = spacing(rng);
  g.direction = random_rotation(rng);
  for (int c = 0; c < 3; ++c) g.origin[c] = origin(rng);
  return g;
}

std::vector<Ellipsoid> random_anatomy(std::mt19937_64& rng, int labels, double radius) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<Ellipsoid> shapes;
  Ellipsoid body{{0, 0, 0}, {}, random_rotation(rng), 0.3, 0};
  for (double& r : body.radii) r = radius * (0.85 + 0.1 * unit(rng));
  shapes.push_back(body);
  for (int k = 1; k <= labels; ++k) {
    Ellipsoid e{};
    for (double& r : e.radii) r = radius * (0.2 + 0.15 * unit(rng));
    const double r_max = *std::max_element(e.radii.begin(), e.radii.end());
    const double reach = std::max(0.0, 0.75 * radius - r_max) * std::cbrt(unit(rng));
    const Vec3 dir = random_unit(rng);
    e.centre = {dir[0] * reach, dir[1] * reach, dir[2] * reach};
    e.rotation = random_rotation(rng);
    e.intensity = 0.3 + 0.5 * k + 0.2 * (unit(rng) - 0.5);
    e.label = k;
    shapes.push_back(e);
  }
  // Larger shapes first, so a smaller one drawn later is never hidden entirely.
  std::stable_sort(shapes.begin() + 1, shapes.end(), [](const Ellipsoid& a, const Ellipsoid& b) {
    return a.radii[0] * a.radii[1] * a.radii[2] > b.radii[0] * b.radii[1] * b.radii[2];
  });
  return shapes;
}

}  // namespace

std::pair<io::Volume, io::Volume> make_phantom(const SynthOptions& options, int index) {
  if (options.labels < 1 || options.labels > 255) throw Error("", "synth: labels must be 1..255");
  for (int64_t n : options.size_xyz) {
    if (n < 1) throw Error("", "synth: size must be positive");
  }
  std::seed_seq seq{static_cast<uint32_t>(options.seed), static_cast<uint32_t>(options.seed >> 32),
                    static_cast<uint32_t>(index)};
  std::mt19937_64 rng(seq);
  const io::Geometry geometry = options.random_geometry ? random_geometry(rng) : io::Geometry{};
  const auto& n = options.size_xyz;
  double radius = 0.5 * n[0] * geometry.spacing[0];  // inscribed sphere of the field of view
  for (int c = 1; c < 3; ++c) radius = std::min(radius, 0.5 * n[c] * geometry.spacing[c]);

  const auto q = physical_offsets(geometry, n);
  const auto shapes = random_anatomy(rng, options.labels, radius);
  auto intensity = at::zeros({n[2], n[1], n[0]}, at::kFloat);
  auto label = at::zeros({n[2], n[1], n[0]}, at::kByte);
  for (const auto& e : shapes) {
    const auto mask = inside(e, q);
    intensity.masked_fill_(mask, e.intensity);
    label.masked_fill_(mask, e.label);
  }
  // Low-contrast texture inside the body, a +-10% linear-exponential bias field, noise.
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const Vec3 f = random_unit(rng), u = random_unit(rng);
  const double wavelength = radius * (0.3 + 0.3 * unit(rng));
  const auto along_f = q[0] * f[0] + q[1] * f[1] + q[2] * f[2];
  const auto along_u = q[0] * u[0] + q[1] * u[1] + q[2] * u[2];
  intensity =
      intensity + intensity.gt(0).to(at::kFloat) * 0.05 * (along_f * (2 * M_PI / wavelength)).sin();
  intensity = intensity * (along_u * (0.1 / radius)).exp();
  auto gen = at::detail::createCPUGenerator(rng());
  intensity = intensity + options.noise * at::randn(intensity.sizes(), gen, at::kFloat);

  io::Volume image{intensity.unsqueeze(0).contiguous(), geometry, {{"source", "unetx synth"}}};
  io::Volume labels{label.unsqueeze(0).contiguous(), geometry, {{"source", "unetx synth"}}};
  return {image, labels};
}

}  // namespace unetx::pipeline
