// Resampling between voxel grids that share origin and direction and differ in spacing (and
// therefore size): the core of preprocess (case grid -> plan grid) and of restore (plan grid ->
// original grid).
//
// Geometry: as in ITK, the origin is the centre of voxel 0, so output voxel i along an axis sits
// at input continuous index i * spacing_to / spacing_from. Positions beyond the last input voxel
// take the border value (clamped); no anti-aliasing filter is applied when downsampling.
//
// Implementation: separable 1-D interpolation, one axis after the other (index_select + lerp).
// For trilinear and nearest-neighbour interpolation this is exact (trilinear is the tensor
// product of three 1-D linear interpolations) and needs no (Z, Y, X, 3) sampling grid. Axes are
// processed in order of increasing size ratio so the intermediates stay small.
#pragma once

#include <ATen/ATen.h>

#include <array>

#include "io/volume.h"

namespace unetx::pipeline {

// Voxel counts (x, y, z) of a grid covering the same extent at another spacing:
// round(size * from / to) per axis, at least 1. Spacings in mm, (x, y, z).
std::array<int64_t, 3> resampled_size(const std::array<int64_t, 3>& size_xyz,
                                      const std::array<double, 3>& spacing_from,
                                      const std::array<double, 3>& spacing_to);

enum class Interp {
  Linear,   // trilinear; output float32 (float64 input stays float64)
  Nearest,  // nearest neighbour, for label maps; keeps the input dtype
};

// x: (C, Z, Y, X) on a grid with `spacing_from` (x, y, z) mm. Returns (C, Z', Y', X') with
// (X', Y', Z') = size_to_xyz on the grid with `spacing_to`, same origin and direction.
at::Tensor resample(const at::Tensor& x, const std::array<double, 3>& spacing_from,
                    const std::array<double, 3>& spacing_to,
                    const std::array<int64_t, 3>& size_to_xyz, Interp interp);

// The same grid origin and direction with a new spacing (x, y, z) mm.
io::Geometry resampled_geometry(const io::Geometry& geometry,
                                const std::array<double, 3>& spacing_to);

}  // namespace unetx::pipeline
