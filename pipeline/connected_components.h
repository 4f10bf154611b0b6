// Connected-component labelling of a binary 3-D mask, the building block of the postprocessing
// (largest component per class, hole filling) that nnU-Net-style pipelines apply to predictions.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace unetx::pipeline {

// Which neighbours are connected: faces only (6, the default of scipy.ndimage.label in 3-D), or
// faces, edges and corners (26).
enum class Connectivity { kFaces = 6, kFull = 26 };

// A neighbour's offset from a voxel, (dz, dy, dx).
struct Offset {
  int dz, dy, dx;
};

// The 6 or 26 offsets of `connectivity`, in z, y, x order.
std::vector<Offset> neighbours(Connectivity connectivity);

struct Components {
  at::Tensor labels;           // int32, the mask's shape: 0 outside, 1..count inside
  std::vector<int64_t> sizes;  // voxels per component; sizes[0] is unused (0)
  int64_t count() const { return static_cast<int64_t>(sizes.size()) - 1; }
};

// Labels the true voxels of `mask` (bool, (Z, Y, X)). Components are numbered in the order their
// first voxel appears in memory (z, then y, then x), so the result does not depend on threads.
Components label_components(const at::Tensor& mask, Connectivity connectivity = Connectivity::kFaces);

}  // namespace unetx::pipeline
