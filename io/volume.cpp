#include "io/volume.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "io/error.h"

namespace unetx::io {
namespace {

// M = direction * diag(spacing): maps a voxel index step to a physical step (mm).
Mat3 index_to_physical_matrix(const Geometry& g) {
  Mat3 m{};
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) m[r * 3 + c] = g.direction[r * 3 + c] * g.spacing[c];
  }
  return m;
}

// General 3x3 inverse by cofactors: the direction is usually orthonormal, but files with
// sheared or non-unit direction cosines exist and must still round-trip.
Mat3 inverse(const Mat3& m) {
  const double det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
                     m[2] * (m[3] * m[7] - m[4] * m[6]);
  if (!std::isfinite(det) || std::abs(det) < 1e-12) {
    throw Error("geometry",
                "direction * spacing is singular (determinant " + std::to_string(det) + ")");
  }
  const double inv_det = 1.0 / det;
  return {(m[4] * m[8] - m[5] * m[7]) * inv_det, (m[2] * m[7] - m[1] * m[8]) * inv_det,
          (m[1] * m[5] - m[2] * m[4]) * inv_det, (m[5] * m[6] - m[3] * m[8]) * inv_det,
          (m[0] * m[8] - m[2] * m[6]) * inv_det, (m[2] * m[3] - m[0] * m[5]) * inv_det,
          (m[3] * m[7] - m[4] * m[6]) * inv_det, (m[1] * m[6] - m[0] * m[7]) * inv_det,
          (m[0] * m[4] - m[1] * m[3]) * inv_det};
}

std::string format_vec(const double* v) {
  char buf[128];
  // "+ 0.0" turns -0 (common in direction cosines) into 0 for display.
  std::snprintf(buf, sizeof buf, "(%.6g, %.6g, %.6g)", v[0] + 0.0, v[1] + 0.0, v[2] + 0.0);
  return buf;
}

}  // namespace

Vec3 Geometry::index_to_physical(const Vec3& index) const {
  const Mat3 m = index_to_physical_matrix(*this);
  Vec3 p = origin;
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) p[r] += m[r * 3 + c] * index[c];
  }
  return p;
}

Vec3 Geometry::physical_to_index(const Vec3& point) const {
  const Mat3 inv = inverse(index_to_physical_matrix(*this));
  const Vec3 d{point[0] - origin[0], point[1] - origin[1], point[2] - origin[2]};
  Vec3 idx{0.0, 0.0, 0.0};
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) idx[r] += inv[r * 3 + c] * d[c];
  }
  return idx;
}

bool Geometry::same_as(const Geometry& other, double tolerance) const {
  for (int i = 0; i < 3; ++i) {
    const double s = std::max(std::abs(spacing[i]), std::abs(other.spacing[i]));
    if (std::abs(spacing[i] - other.spacing[i]) > tolerance * s) return false;
    // Origins are compared in voxels, so the test means the same on 0.5 mm and 5 mm grids.
    if (std::abs(origin[i] - other.origin[i]) > tolerance * s) return false;
  }
  for (int i = 0; i < 9; ++i) {
    if (std::abs(direction[i] - other.direction[i]) > tolerance) return false;
  }
  return true;
}

std::string Geometry::to_string() const {
  std::ostringstream out;
  out << "spacing " << format_vec(spacing.data()) << " mm, origin " << format_vec(origin.data())
      << " mm, direction [" << format_vec(&direction[0]) << ", " << format_vec(&direction[3])
      << ", " << format_vec(&direction[6]) << "]";
  return out.str();
}

bool same_grid(const Volume& a, const Volume& b, double tolerance) {
  if (!a.data.defined() || !b.data.defined() || a.data.dim() != 4 || b.data.dim() != 4) {
    return false;
  }
  return a.size() == b.size() && a.geometry.same_as(b.geometry, tolerance);
}

}  // namespace unetx::io
