// Exact Euclidean distance transform on an anisotropic voxel grid.
//
// Separable lower-envelope-of-parabolas algorithm (Felzenszwalb & Huttenlocher, 2012): one pass
// per axis over every line of the volume, each pass exact for squared distances, so the result
// is the exact Euclidean distance in millimetres (no chamfer approximation), in O(voxels).
#pragma once

#include <ATen/ATen.h>

#include <array>

namespace unetx::pipeline {

// sites: (Z, Y, X) bool (or integer, non-zero = site). spacing: (x, y, z) in mm.
// Returns (Z, Y, X) float64: the distance in mm from each voxel centre to the nearest site centre;
// +inf everywhere when there is no site.
at::Tensor distance_transform(const at::Tensor& sites, const std::array<double, 3>& spacing);

}  // namespace unetx::pipeline
