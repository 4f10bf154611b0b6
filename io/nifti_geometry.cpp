#include "io/nifti_geometry.h"

#include <itkImageIOBase.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "io/error.h"

namespace unetx::io {
namespace {

using Affine = std::array<std::array<double, 4>, 4>;  // voxel index -> RAS mm, row-major

// The qform affine from the quaternion, qfac and pixdim, as the NIfTI-1 format documents it
// (method 2); niftilib substitutes 1 for a non-positive pixdim.
Affine qform_affine(const NiftiHeader& h) {
  double b = h.quatern_b, c = h.quatern_c, d = h.quatern_d;
  double a = 1.0 - (b * b + c * c + d * d);
  if (a < 1e-7) {  // (b, c, d) is a unit vector: a 180 degree rotation
    const double norm = 1.0 / std::sqrt(b * b + c * c + d * d);
    b *= norm;
    c *= norm;
    d *= norm;
    a = 0.0;
  } else {
    a = std::sqrt(a);
  }
  const double dx = h.pixdim[1] > 0 ? h.pixdim[1] : 1.0;
  const double dy = h.pixdim[2] > 0 ? h.pixdim[2] : 1.0;
  const double dz = (h.pixdim[3] > 0 ? h.pixdim[3] : 1.0) * (h.pixdim[0] < 0 ? -1.0 : 1.0);
  Affine m{};
  m[0] = {(a * a + b * b - c * c - d * d) * dx, 2 * (b * c - a * d) * dy, 2 * (b * d + a * c) * dz,
          h.qoffset[0]};
  m[1] = {2 * (b * c + a * d) * dx, (a * a + c * c - b * b - d * d) * dy, 2 * (c * d - a * b) * dz,
          h.qoffset[1]};
  m[2] = {2 * (b * d - a * c) * dx, 2 * (c * d + a * b) * dy, (a * a + d * d - c * c - b * b) * dz,
          h.qoffset[2]};
  m[3] = {0, 0, 0, 1};
  return m;
}

// niftilib leaves the sform all zero when its code is 0.
Affine sform_affine(const NiftiHeader& h) {
  Affine m{};
  if (h.sform_code <= 0) return m;
  for (int r = 0; r < 3; ++r) m[r] = h.srow[r];
  m[3] = {0, 0, 0, 1};
  return m;
}

double column_norm(const Affine& m, int c) {
  return std::sqrt(m[0][c] * m[0][c] + m[1][c] * m[1][c] + m[2][c] * m[2][c]);
}

bool elementwise_similar(const Affine& s, const Affine& q) {
  double offset_diff = 0;
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) {
      if (std::abs(s[r][c] - q[r][c]) > 1e-5) return false;
    }
    offset_diff += std::abs(s[r][3] - q[r][3]);
  }
  return offset_diff <= 1e-7;
}

// Normalised columns orthonormal (R * R^T = I within 1e-4), with a non-zero determinant.
bool rotation_times_scaling(const Affine& m) {
  double n[3];
  for (int c = 0; c < 3; ++c) {
    n[c] = column_norm(m, c);
    if (!(n[c] > 0) || !std::isfinite(n[c])) return false;
  }
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      double dot = 0;
      for (int k = 0; k < 3; ++k) dot += (m[i][k] / n[k]) * (m[j][k] / n[k]);
      if (std::abs(dot - (i == j ? 1.0 : 0.0)) > 1e-4) return false;
    }
  }
  return true;
}

// Same rotation, same column scales and same offset within 1e-4.
bool same_rotation_scaling_offset(const Affine& s, const Affine& q) {
  for (int c = 0; c < 3; ++c) {
    const double ns = column_norm(s, c), nq = column_norm(q, c);
    if (std::abs(ns - nq) > 1e-4 || !(nq > 0)) return false;
    for (int r = 0; r < 3; ++r) {
      if (std::abs(s[r][c] / ns - q[r][c] / nq) > 1e-4) return false;
    }
  }
  for (int r = 0; r < 3; ++r) {
    if (std::abs(s[r][3] - q[r][3]) > 1e-4) return false;
  }
  return true;
}

double spacing_scale(int xyzt_units) {
  switch (xyzt_units & 0x07) {
    case 1:  // metre
      return 1e3;
    case 3:  // micron
      return 1e-3;
    default:  // mm or unknown
      return 1.0;
  }
}

}  // namespace

const char* to_string(NiftiTransform transform) {
  switch (transform) {
    case NiftiTransform::kQform:
      return "qform";
    case NiftiTransform::kSform:
      return "sform";
    default:
      return "none";
  }
}

NiftiTransform nifti_transform_choice(const NiftiHeader& h, const std::string& file) {
  if (h.qform_code == 0 && h.sform_code == 0) return NiftiTransform::kNone;
  const Affine s = sform_affine(h);
  const Affine q = h.qform_code > 0 ? qform_affine(h) : Affine{};
  bool prefer_sform = elementwise_similar(s, q);
  if ((!prefer_sform || h.sform_code != 0) && h.sform_code > 0 && rotation_times_scaling(s)) {
    if (h.qform_code == 0 || h.sform_code == 1) {
      prefer_sform = true;
    } else {
      prefer_sform = same_rotation_scaling_offset(s, q);
    }
  }
  if (prefer_sform) return NiftiTransform::kSform;
  if (h.qform_code > 0) return NiftiTransform::kQform;
  throw Error(file,
              "cannot read image: neither the qform nor the sform is a rotation with scaling");
}

Geometry nifti_geometry(const NiftiHeader& h, const std::string& file) {
  Geometry g;
  const int n = static_cast<int>(std::min<int64_t>(3, h.dim[0]));
  const double scale = spacing_scale(h.xyzt_units);
  for (int i = 0; i < n; ++i) g.spacing[i] = h.pixdim[i + 1] * scale;
  const NiftiTransform choice = nifti_transform_choice(h, file);
  if (choice == NiftiTransform::kNone) return g;
  const Affine m = choice == NiftiTransform::kSform ? sform_affine(h) : qform_affine(h);
  const double flip[3] = {-1.0, -1.0, 1.0};
  for (int i = 0; i < n; ++i) g.origin[i] = flip[i] * m[i][3];
  for (int c = 0; c < n; ++c) {
    double norm = 0;
    for (int r = 0; r < n; ++r) norm += m[r][c] * m[r][c];
    norm = std::sqrt(norm);
    for (int r = 0; r < n; ++r) g.direction[r * 3 + c] = norm > 0 ? flip[r] * m[r][c] / norm : 0.0;
  }
  return g;
}

Geometry geometry_from_image_io(const itk::ImageIOBase& io) {
  Geometry g;
  const unsigned n = std::min(3u, io.GetNumberOfDimensions());
  for (unsigned c = 0; c < n; ++c) {
    g.spacing[c] = io.GetSpacing(c);
    g.origin[c] = io.GetOrigin(c);
    const std::vector<double> column = io.GetDirection(c);
    for (unsigned r = 0; r < n && r < column.size(); ++r) g.direction[r * 3 + c] = column[r];
  }
  const Mat3& m = g.direction;
  const double det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
                     m[2] * (m[3] * m[7] - m[4] * m[6]);
  if (!(std::abs(det) > 1e-6)) {
    spdlog::warn("{}: degenerate direction matrix, using identity", io.GetFileName());
    g.direction = Geometry{}.direction;
  }
  return g;
}

}  // namespace unetx::io
