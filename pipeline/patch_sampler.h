// Random training patches from prepared cases: foreground oversampling, zero padding of small
// images and augmentation (pipeline/augment.h), reproducible from a seed.
#pragma once

#include <ATen/ATen.h>

#include <array>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "pipeline/augment.h"
#include "pipeline/case_prep.h"

namespace unetx::pipeline {

struct PatchSamplerOptions {
  std::array<int64_t, 3> patch_xyz{64, 64, 64};  // (x, y, z) voxels; z must be 1 when 2-D
  double foreground_fraction = 0.33;  // probability that a patch is centred on foreground
  AugmentOptions augment;             // default: random flips only
  int spatial_dims = 3;               // 3: volumetric patches; 2: one z slice per patch
};

class PatchSampler {
 public:
  // Throws unetx::Error on an invalid patch size or spatial_dims.
  PatchSampler(PatchSamplerOptions options, uint64_t seed);

  // One patch from image (C, Z, Y, X) and label (1, Z, Y, X) on the same grid. Returns
  // image (C, pz, py, px) float32 and target (pz, py, px) int64; with spatial_dims = 2,
  // (C, py, px) and (py, px). Regions outside the image are zero in both.
  // With probability foreground_fraction (and when the label has any voxel > 0) the patch
  // contains a uniformly chosen foreground voxel at a random offset from its centre (within a
  // quarter patch); otherwise its position is uniform. Each call scans the label once.
  std::pair<at::Tensor, at::Tensor> sample(const at::Tensor& image, const at::Tensor& label);

  // batch_size patches, each from a case drawn uniformly (with replacement) from `cases`:
  // image (B, C, pz, py, px) float32 and target (B, pz, py, px) int64 (2-D: (B, C, py, px) and
  // (B, py, px)). Throws unetx::Error(case id) for a case without a label.
  std::pair<at::Tensor, at::Tensor> batch(const std::vector<const PreparedCase*>& cases,
                                          int batch_size);

  const PatchSamplerOptions& options() const { return options_; }

 private:
  // Start (may be negative: padding) of the patch along one axis of length n, patch p.
  int64_t random_start(int64_t n, int64_t p);
  int64_t centred_start(int64_t n, int64_t p, int64_t voxel);
  bool coin(double p_true);

  PatchSamplerOptions options_;
  Augmenter augmenter_;
  std::mt19937_64 rng_;
};

}  // namespace unetx::pipeline
