#include "io/dicom_geometry.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>

#include "io/error.h"

namespace unetx::io {
namespace {

constexpr double kCosineTolerance = 1e-4;

std::string mm(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", value);
  return buffer;
}

std::string iop_text(const std::array<double, 6>& o) {
  std::string text;
  for (double v : o) text += (text.empty() ? "" : "\\") + mm(v);
  return text;
}

Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}

double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

Vec3 unit(Vec3 v) {
  const double n = std::sqrt(dot(v, v));
  if (n > 0) {
    for (double& x : v) x /= n;
  }
  return v;
}

// Every frame must share the first frame's orientation and pixel spacing.
void check_same_plane(const std::vector<DicomFrameInfo>& frames, const std::string& subject) {
  const DicomFrameInfo& first = frames.front();
  for (const DicomFrameInfo& f : frames) {
    for (int i = 0; i < 6; ++i) {
      if (std::abs(f.orientation[i] - first.orientation[i]) > kCosineTolerance) {
        throw Error(subject, "mixed orientations in one series (ImageOrientationPatient " +
                                 iop_text(first.orientation) + " and " + iop_text(f.orientation) +
                                 ")");
      }
    }
    const double tol = 1e-4 * std::max(first.spacing_x, first.spacing_y);
    if (std::abs(f.spacing_x - first.spacing_x) > tol ||
        std::abs(f.spacing_y - first.spacing_y) > tol) {
      throw Error(subject, "mixed pixel spacings in one series (" + mm(first.spacing_y) + "\\" +
                               mm(first.spacing_x) + " and " + mm(f.spacing_y) + "\\" +
                               mm(f.spacing_x) + " mm)");
    }
  }
}

double median(std::vector<double> values) {
  std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
  return values[values.size() / 2];
}

// Fills source (with inserted gaps) and the z spacing from positions sorted along the normal.
void place_sorted(const std::vector<int>& order, const std::vector<double>& along,
                  const std::string& subject, DicomStack& stack) {
  std::vector<double> steps;
  for (size_t i = 1; i < order.size(); ++i) {
    const double step = along[order[i]] - along[order[i - 1]];
    if (step < 1e-3) {
      throw Error(subject, "duplicate slice position at " + mm(along[order[i]]) +
                               " mm along the slice normal");
    }
    steps.push_back(step);
  }
  const double m = median(steps);
  const double tolerance = std::max(0.01 * m, 1e-3);
  double lo = m, hi = m;
  stack.source.push_back(order[0]);
  for (size_t i = 1; i < order.size(); ++i) {
    const double step = steps[i - 1];
    const long k = std::lround(step / m);
    if (k >= 2) {
      stack.warnings.push_back(std::to_string(k - 1) + " slice(s) missing between positions " +
                               mm(along[order[i - 1]]) + " and " + mm(along[order[i]]) +
                               " mm along the normal (gap " + mm(step) + " mm, median step " +
                               mm(m) + " mm); filled by linear interpolation");
      for (long j = 1; j < k; ++j) stack.source.push_back(-1);
    }
    if (std::abs(step - std::max(k, 1L) * m) > tolerance) {
      lo = std::min(lo, step);
      hi = std::max(hi, step);
    }
    stack.source.push_back(order[i]);
  }
  if (lo != m || hi != m) {
    stack.warnings.push_back("uneven slice spacing: steps from " + mm(lo) + " to " + mm(hi) +
                             " mm (median " + mm(m) + " mm); the volume uses " + mm(m) + " mm");
  }
  stack.geometry.spacing[2] = m;
}

// Positions off the line through the first slice along the normal mean a tilted gantry or a
// sheared stack, which a regular grid cannot represent.
void check_collinear(const std::vector<DicomFrameInfo>& frames, const Vec3& normal,
                     const DicomFrameInfo& first, const std::string& subject, DicomStack& stack) {
  double worst = 0;
  for (const DicomFrameInfo& f : frames) {
    Vec3 d{f.position[0] - first.position[0], f.position[1] - first.position[1],
           f.position[2] - first.position[2]};
    const double along = dot(d, normal);
    for (int i = 0; i < 3; ++i) d[i] -= along * normal[i];
    worst = std::max(worst, std::sqrt(dot(d, d)));
  }
  if (worst > 0.01 * std::min(first.spacing_x, first.spacing_y) && worst > 1e-3) {
    stack.warnings.push_back("slices are shifted in-plane by up to " + mm(worst) +
                             " mm (gantry tilt?); " + subject + " is read as an orthogonal stack");
  }
}

}  // namespace

DicomStack plan_stack(const std::vector<DicomFrameInfo>& frames, const std::string& subject,
                      double spacing_between_slices) {
  if (frames.empty()) throw Error(subject, "series has no image frames");
  check_same_plane(frames, subject);
  const DicomFrameInfo& first = frames.front();
  const Vec3 row = unit({first.orientation[0], first.orientation[1], first.orientation[2]});
  const Vec3 col = unit({first.orientation[3], first.orientation[4], first.orientation[5]});
  const Vec3 normal = unit(cross(row, col));

  DicomStack stack;
  Geometry& g = stack.geometry;
  g.direction = {row[0], col[0], normal[0], row[1], col[1], normal[1], row[2], col[2], normal[2]};
  g.spacing = {first.spacing_x, first.spacing_y, 1.0};
  const double fallback = spacing_between_slices > 0 ? spacing_between_slices
                          : first.thickness > 0      ? first.thickness
                                                     : 1.0;
  const size_t with_position = std::count_if(
      frames.begin(), frames.end(), [](const DicomFrameInfo& f) { return f.has_position; });
  if (with_position != 0 && with_position != frames.size()) {
    throw Error(subject, "ImagePositionPatient present on " + std::to_string(with_position) +
                             " of " + std::to_string(frames.size()) + " slices");
  }
  std::vector<int> order(frames.size());
  std::iota(order.begin(), order.end(), 0);
  if (with_position == 0 || frames.size() == 1) {
    stack.source = order;
    g.spacing[2] = fallback;
    g.origin = first.position;
    if (frames.size() > 1) {
      stack.warnings.push_back("no ImagePositionPatient: " + std::to_string(frames.size()) +
                               " frames kept in file order, " + mm(fallback) + " mm apart");
    }
    return stack;
  }
  std::vector<double> along(frames.size());
  for (size_t i = 0; i < frames.size(); ++i) along[i] = dot(frames[i].position, normal);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return along[a] < along[b]; });
  g.origin = frames[order[0]].position;
  place_sorted(order, along, subject, stack);
  check_collinear(frames, normal, frames[order[0]], subject, stack);
  return stack;
}

}  // namespace unetx::io
