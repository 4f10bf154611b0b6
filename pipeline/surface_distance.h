// Surface distances between a predicted and a reference mask, in millimetres.
//
// Surface voxels are the mask voxels with at least one face neighbour (6-neighbourhood in 3-D,
// 4 in a one-slice image: axes of length 1 are ignored) outside the mask; the volume's border
// counts as outside. For each surface voxel of one mask the distance to the nearest surface voxel
// of the other comes from an exact Euclidean distance transform on the anisotropic grid.
//  - hd:   the largest of all those distances (both directions).
//  - hd95: the larger of the two directed 95th percentiles (linear interpolation between
//          order statistics, as numpy's default percentile).
//  - assd: the mean over the distances of both directions together.
//  - nsd:  normalized surface Dice at `tolerance` mm: the share of both surfaces that lies within
//          the tolerance of the other surface.
// Empty masks: with both empty, nsd = 1 and the distances are NaN (nothing to measure); with one
// empty, nsd = 0 and the distances are NaN. `empty` says which case applied, so a summary can
// count those cases instead of averaging NaN.
#pragma once

#include <ATen/ATen.h>

#include <array>
#include <string>

namespace unetx::pipeline {

struct SurfaceMetrics {
  double hd = 0, hd95 = 0, assd = 0, nsd = 0;
  std::string empty;  // "", "both", "prediction" or "reference"
};

// Surface voxels of a (Z, Y, X) mask as a bool tensor of the same shape.
at::Tensor surface_voxels(const at::Tensor& mask);

// pred, ref: (Z, Y, X) masks of one shape (non-zero = inside). spacing (x, y, z) in mm.
SurfaceMetrics surface_metrics(const at::Tensor& pred, const at::Tensor& ref,
                               const std::array<double, 3>& spacing, double tolerance_mm);

}  // namespace unetx::pipeline
