#include "pipeline/surface_distance.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "io/error.h"
#include "pipeline/distance_transform.h"
#include "pipeline/statistics.h"

namespace unetx::pipeline {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<double> to_vector(const at::Tensor& t) {
  const at::Tensor d = t.to(at::kDouble).contiguous();
  return {d.data_ptr<double>(), d.data_ptr<double>() + d.numel()};
}

}  // namespace

at::Tensor surface_voxels(const at::Tensor& mask) {
  if (!mask.defined() || mask.dim() != 3) throw Error("", "surface: mask must be (Z, Y, X)");
  const at::Tensor inside = mask.ne(0);
  at::Tensor interior = inside.clone();
  const at::Tensor padded_source = inside.to(at::kByte);
  for (int64_t axis = 0; axis < 3; ++axis) {
    const int64_t n = inside.size(axis);
    if (n == 1) continue;
    // Pad one background voxel on both sides of `axis`; pad spec runs from the last dim.
    std::vector<int64_t> pad(6, 0);
    pad[2 * (2 - axis)] = 1;
    pad[2 * (2 - axis) + 1] = 1;
    const at::Tensor p = at::constant_pad_nd(padded_source, pad, 0).ne(0);
    interior &= p.narrow(axis, 0, n) & p.narrow(axis, 2, n);
  }
  return inside & interior.logical_not();
}

SurfaceMetrics surface_metrics(const at::Tensor& pred, const at::Tensor& ref,
                               const std::array<double, 3>& spacing, double tolerance_mm) {
  if (pred.sizes() != ref.sizes()) {
    throw Error("", "surface distance: prediction and reference shapes differ");
  }
  const at::Tensor sp = surface_voxels(pred);
  const at::Tensor sr = surface_voxels(ref);
  const bool pred_empty = !sp.any().item<bool>();
  const bool ref_empty = !sr.any().item<bool>();
  SurfaceMetrics m;
  if (pred_empty || ref_empty) {
    m.hd = m.hd95 = m.assd = kNaN;
    m.nsd = pred_empty && ref_empty ? 1.0 : 0.0;
    m.empty = pred_empty && ref_empty ? "both" : (pred_empty ? "prediction" : "reference");
    return m;
  }
  // Distances from each surface voxel of one mask to the other mask's surface.
  const at::Tensor pred_to_ref = distance_transform(sr, spacing).masked_select(sp);
  const at::Tensor ref_to_pred = distance_transform(sp, spacing).masked_select(sr);
  const at::Tensor all = at::cat({pred_to_ref, ref_to_pred});
  m.hd = all.max().item<double>();
  m.hd95 =
      std::max(percentile(to_vector(pred_to_ref), 95.0), percentile(to_vector(ref_to_pred), 95.0));
  m.assd = all.mean().item<double>();
  m.nsd = all.le(tolerance_mm).sum().item<double>() / static_cast<double>(all.numel());
  return m;
}

}  // namespace unetx::pipeline
