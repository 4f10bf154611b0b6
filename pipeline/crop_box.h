// Cropping a case to the bounding box of its nonzero voxels (nnU-Net's crop_to_nonzero), and
// the inverse: putting a result computed on the crop back into the full grid.
#pragma once

#include <ATen/ATen.h>

#include <array>
#include <nlohmann/json.hpp>
#include <vector>

#include "io/volume.h"

namespace unetx::pipeline {

// A box of voxels of a grid, (x, y, z) order. size {0, 0, 0} means "the whole grid", so a
// default CropBox leaves a case uncropped.
struct CropBox {
  std::array<int64_t, 3> begin{0, 0, 0};  // first voxel inside the box
  std::array<int64_t, 3> size{0, 0, 0};   // voxels inside the box; 0 = whole grid

  bool whole() const { return size == std::array<int64_t, 3>{0, 0, 0}; }
  // The box on a grid of `grid_size` voxels (x, y, z): itself, or the whole grid when whole().
  CropBox on(const std::array<int64_t, 3>& grid_size) const;
};

// Bounding box of the voxels of x (C, Z, Y, X) that are nonzero in any channel. A volume with
// no nonzero voxel keeps its whole grid (there is nothing to crop to).
CropBox nonzero_box(const at::Tensor& x);

// x (C, Z, Y, X) restricted to `box` (a view; box inside x's grid).
at::Tensor crop(const at::Tensor& x, const CropBox& box);

// The geometry of the cropped grid: same spacing and direction, origin at voxel box.begin.
io::Geometry cropped_geometry(const io::Geometry& g, const CropBox& box);

// x (K, Z, Y, X) of the box's size placed into a (K, full Z, Y, X) tensor at box.begin; the
// voxels outside the box take `fill[k]` per channel (fill empty: 0).
at::Tensor uncrop(const at::Tensor& x, const CropBox& box, const std::array<int64_t, 3>& full_xyz,
                  const std::vector<double>& fill = {});

nlohmann::json to_json(const CropBox& box);
CropBox crop_box_from_json(const nlohmann::json& j);

}  // namespace unetx::pipeline
