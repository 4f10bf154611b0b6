// Volume: the image or label map every reader returns and every writer takes.
//
// Axis conventions (fixed across unetx):
//  - `data` is always 4-D, (C, Z, Y, X): channels first, then slices, rows, columns. A 2-D image
//    is read as Z = 1. Index (x, y, z) of ITK is data[c][z][y][x].
//  - `Geometry` is in ITK/LPS terms and in (x, y, z) order: spacing in mm, origin in mm (the
//    physical position of voxel index (0,0,0)), direction a row-major 3x3 matrix whose *columns*
//    are the physical directions of the x, y and z index axes.
//    physical = origin + direction * diag(spacing) * index.
#pragma once

#include <ATen/ATen.h>

#include <array>
#include <map>
#include <string>

namespace unetx::io {

using Vec3 = std::array<double, 3>;
using Mat3 = std::array<double, 9>;    // row-major
using Size3 = std::array<int64_t, 3>;  // (x, y, z) voxel counts

struct Geometry {
  Vec3 spacing{1.0, 1.0, 1.0};
  Vec3 origin{0.0, 0.0, 0.0};
  Mat3 direction{1, 0, 0, 0, 1, 0, 0, 0, 1};

  // Physical point (mm, LPS) of a continuous voxel index (x, y, z).
  Vec3 index_to_physical(const Vec3& index) const;
  // Continuous voxel index of a physical point; the inverse of index_to_physical.
  Vec3 physical_to_index(const Vec3& point) const;
  // True when spacing, origin and direction agree within `tolerance` (relative to spacing for
  // origin, absolute for direction cosines).
  bool same_as(const Geometry& other, double tolerance = 1e-4) const;
  std::string to_string() const;
};

struct Volume {
  at::Tensor data;  // (C, Z, Y, X); dtype as stored on disk (uint8, int16, int32, float32)
  Geometry geometry;
  std::map<std::string, std::string> meta;  // free-form, never patient-identifying

  int64_t channels() const { return data.size(0); }
  // Voxel counts in (x, y, z) order, matching Geometry.
  Size3 size() const { return {data.size(3), data.size(2), data.size(1)}; }
  // Voxel volume in millilitres.
  double voxel_ml() const {
    return geometry.spacing[0] * geometry.spacing[1] * geometry.spacing[2] / 1000.0;
  }
};

// True when two volumes sit on the same voxel grid (size and geometry).
bool same_grid(const Volume& a, const Volume& b, double tolerance = 1e-4);

}  // namespace unetx::io
