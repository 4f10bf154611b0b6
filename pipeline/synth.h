// Synthetic phantoms: a cohort of labelled images for smoke runs, scale tests and unit tests,
// with the properties real scans have (anisotropic spacing, oblique direction, bias field,
// noise) and exact labels.
#pragma once

#include <array>
#include <cstdint>
#include <utility>

#include "io/volume.h"

namespace unetx::pipeline {

struct SynthOptions {
  int cases = 4;                                // cohort size (used by the caller)
  std::array<int64_t, 3> size_xyz{64, 64, 48};  // voxels
  int labels = 1;                               // foreground classes, each one ellipsoid
  double noise = 0.1;                           // std of additive Gaussian noise
  bool random_geometry = true;  // random spacing in [0.8, 2.0] mm, rotation and origin
  uint64_t seed = 0;
};

// Case `index` of the cohort described by `options`: (image, label) on the same grid,
// image (1, Z, Y, X) float32, label (1, Z, Y, X) uint8 with values 0 .. labels.
// The anatomy is defined in physical (LPS, mm) space around the grid's centre: a body ellipsoid
// (intensity ~0.3, textured) holding `labels` ellipsoids of random centre, radii and rotation,
// foreground class k at intensity ~0.3 + 0.5 k; all of it inside the sphere inscribed in the
// field of view, so any grid rotation keeps it whole. Image = intensity * smooth multiplicative
// bias field (+-10%) + Gaussian noise. Without random_geometry the grid is 1 mm, identity
// direction, origin 0. Deterministic in (options.seed, index).
std::pair<io::Volume, io::Volume> make_phantom(const SynthOptions& options, int index);

}  // namespace unetx::pipeline
