// One case from its original grid to the plan grid and back: what preprocess, predict, explain
// and uncertainty all do around the network.
#pragma once

#include <ATen/ATen.h>

#include <array>
#include <string>

#include <nlohmann/json.hpp>

#include "io/volume.h"
#include "pipeline/crop_box.h"
#include "pipeline/orientation.h"
#include "pipeline/plan.h"

namespace unetx::pipeline {

struct PreparedCase {
  std::string id;
  at::Tensor image;  // (C, Z, Y, X) float32, normalized per channel (plan), on the plan grid
  at::Tensor label;  // (1, Z, Y, X) uint8 on the plan grid; undefined when the case has none
  io::Geometry original_geometry;                  // the grid as read, where outputs go
  std::array<int64_t, 3> original_size{0, 0, 0};  // (x, y, z) voxels of the original grid
  // The original grid's axes permuted/flipped to the plan's orientation (orientation.h): the
  // "canonical original" grid that the crop box and the plan grid refer to.
  AxisMap axes;
  // The part of the canonical original grid the plan grid covers (plan.crop_to_nonzero);
  // whole() = all.
  CropBox crop;
  io::Geometry geometry;  // the plan grid: origin at the crop's first voxel, same direction

  io::Size3 canonical_size() const { return reoriented_size(original_size, axes); }
  io::Geometry canonical_geometry() const {
    return reoriented_geometry(original_geometry, original_size, axes);
  }
};

// Reorients `image` and `label` (may be null) to plan.orientation (orientation.h), crops them to
// the image's nonzero box when plan.crop_to_nonzero,
// resamples them to the plan's target spacing (image linear, label nearest) and normalizes the
// image per channel as the plan says (normalize.h). With plan.spatial_dims == 2 the z spacing is
// left as it is (slices are independent samples; only the in-plane spacing is unified). Throws
// unetx::Error(id, ...) when the image does not fit the plan (channel count, DICOM modality: see
// plan_match.h), when a spacing is not positive, when a 3-D plan gets a one-slice image, when the
// image holds NaN/Inf voxels, when the label is not on the image's grid ("label grid differs from
// image: size, spacing, ...") or holds values outside the plan's labels.
PreparedCase prepare_case(const std::string& id, const io::Volume& image, const io::Volume* label,
                          const Plan& plan);

// probs: (K, Z, Y, X) on the plan grid of `pc` -> (K, Z0, Y0, X0) float32 on the original grid
// (linear interpolation, then the axes put back as stored). Outside a crop box the case is background: probability 1 for class 0
// and 0 for the others (0 everywhere when K == 1, a foreground probability).
at::Tensor restore_to_original(const at::Tensor& probs, const PreparedCase& pc);

// Label map of per-class scores on `geometry`'s grid: argmax over channels as a (1, Z, Y, X)
// uint8 Volume. A single channel is read as a foreground probability, thresholded at 0.5.
io::Volume labels_volume(const at::Tensor& probs_original, const io::Geometry& geometry);

// A per-voxel map (CAM, entropy, ...) (M, Z, Y, X) on the plan grid of `pc` -> float32 Volume on
// the original grid and geometry; 0 outside a crop box.
io::Volume map_to_original(const at::Tensor& map, const PreparedCase& pc);

// What maps a prepared case back to its original grid (original size and geometry, crop box,
// plan grid), as stored next to each preprocessed case; and its inverse, which fills those
// fields of `pc` and throws unetx::Error on a malformed object.
nlohmann::json preparation_json(const PreparedCase& pc);
void read_preparation_json(const nlohmann::json& j, PreparedCase& pc);

}  // namespace unetx::pipeline
