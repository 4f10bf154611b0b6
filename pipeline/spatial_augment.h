// Spatial augmentation by resampling: a training patch is read from the whole case through one
// sampling grid that rotates, scales and (optionally) elastically deforms it about the patch
// centre, so rotated patches take real image content at their corners instead of zero padding.
// Images are interpolated linearly, labels by nearest neighbour; points outside the case are 0.
#pragma once

#include <ATen/ATen.h>

#include <array>
#include <cstdint>
#include <utility>

namespace unetx::pipeline {

struct SpatialTransform {
  // Rotation angles in radians about the z, y and x axes (applied in that order to (x, y, z)
  // offsets). Only the z angle is used for 2-D patches (in-plane rotation).
  std::array<double, 3> angles_zyx{0, 0, 0};
  double scale = 1.0;          // > 1 zooms in (the patch covers a smaller region of the case)
  double elastic_alpha = 0.0;  // displacement magnitude in voxels (0: no deformation)
  double elastic_sigma = 8.0;  // smoothness of the displacement field, voxels
  uint64_t elastic_seed = 0;   // the random field is drawn from this seed

  bool is_identity() const {
    return angles_zyx == std::array<double, 3>{0, 0, 0} && scale == 1.0 && elastic_alpha == 0.0;
  }
};

// Source coordinates (voxels, (z, y, x) in the last dim) of every voxel of a patch of
// `patch_zyx` centred at `centre_zyx` (continuous voxel index in the case): (pz, py, px, 3).
// spatial_dims 2: the patch stays in the slice of centre z (pz must be 1).
at::Tensor sampling_coordinates(const std::array<double, 3>& centre_zyx,
                                const std::array<int64_t, 3>& patch_zyx,
                                const SpatialTransform& t, int spatial_dims);

// Resamples image (C, Z, Y, X) linearly and label (1, Z, Y, X) by nearest neighbour at
// `coords` (from sampling_coordinates): image (C, pz, py, px) float32, label (pz, py, px) int64.
std::pair<at::Tensor, at::Tensor> resample_patch(const at::Tensor& image, const at::Tensor& label,
                                                 const at::Tensor& coords);

// Separable Gaussian smoothing of x (C, spatial...) with one sigma (voxels) per spatial axis,
// kernel radius 3 sigma, zero padding. Axes with sigma <= 0 are left alone.
at::Tensor gaussian_blur(const at::Tensor& x, const std::vector<double>& sigma);

}  // namespace unetx::pipeline
