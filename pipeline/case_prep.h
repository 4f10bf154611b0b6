// One case from its original grid to the plan grid and back: what preprocess, predict, explain
// and uncertainty all do around the network.
#pragma once

#include <ATen/ATen.h>

#include <array>
#include <string>

#include "io/volume.h"
#include "pipeline/plan.h"

namespace unetx::pipeline {

struct PreparedCase {
  std::string id;
  at::Tensor image;  // (C, Z, Y, X) float32, z-scored per channel, on the plan grid
  at::Tensor label;  // (1, Z, Y, X) uint8 on the plan grid; undefined when the case has none
  io::Geometry original_geometry;
  std::array<int64_t, 3> original_size{0, 0, 0};  // (x, y, z) voxels of the original grid
  io::Geometry geometry;                          // the plan grid (same origin and direction)
};

// Resamples `image` (linear) and `label` (nearest; may be null) to the plan's target spacing and
// z-scores the image. With plan.spatial_dims == 2 the z spacing is left as it is (slices are
// independent samples; only the in-plane spacing is unified). Throws unetx::Error(id, ...) when
// the channel count differs from the plan, when a spacing is not positive, when a 3-D plan gets a
// one-slice image, when the image holds NaN/Inf voxels, when the label is not on the image's grid
// ("label grid differs from image: size, spacing, ...") or holds values outside the plan's labels.
PreparedCase prepare_case(const std::string& id, const io::Volume& image, const io::Volume* label,
                          const Plan& plan);

// probs: (K, Z, Y, X) on the plan grid of `pc` -> (K, Z0, Y0, X0) float32 on the original grid
// (linear interpolation).
at::Tensor restore_to_original(const at::Tensor& probs, const PreparedCase& pc);

// Label map of per-class scores on `geometry`'s grid: argmax over channels as a (1, Z, Y, X)
// uint8 Volume. A single channel is read as a foreground probability, thresholded at 0.5.
io::Volume labels_volume(const at::Tensor& probs_original, const io::Geometry& geometry);

// A per-voxel map (CAM, entropy, ...) (M, Z, Y, X) on the plan grid of `pc` -> float32 Volume on
// the original grid and geometry.
io::Volume map_to_original(const at::Tensor& map, const PreparedCase& pc);

}  // namespace unetx::pipeline
