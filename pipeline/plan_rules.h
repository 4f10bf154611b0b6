// The rules that turn a dataset fingerprint into plan decisions: target spacing, network depth,
// and patch and batch size under a training-memory budget. Pure functions of numbers, so each
// rule is tested against values computed by hand.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

namespace unetx::pipeline {

// nnU-Net's anisotropy threshold: an axis whose median spacing exceeds 3x the others' is coarse.
inline constexpr double kAnisotropyThreshold = 3.0;

// Target spacing from the cases' spacings and sizes ((x, y, z) each, same count, non-empty).
// The per-axis median, except on anisotropic data, where nnU-Net
// (ExperimentPlanner.determine_fullres_target_spacing) takes the 10th percentile of the coarse
// axis instead: when the largest median spacing is > 3x the largest of the other two AND that
// axis's median voxel count times 3 is below the smallest of the others (thick slices, few of
// them), the coarse axis gets percentile_10 of its spacings, but never less than the other axes'
// largest spacing (then that + 1e-5), so it stays the coarse one. Resampling every case to the
// median of such an axis would interpolate most cases' slices into fabricated detail.
std::array<double, 3> plan_target_spacing(const std::vector<std::array<double, 3>>& spacings,
                                          const std::vector<std::array<int64_t, 3>>& sizes);

// Resolution levels of the U-Net (= features.size(): 1 + the number of max-pools) for a patch:
// an axis allows one more 2x downsampling while it is >= 8 voxels (so the bottleneck keeps >= 4
// voxels a side); the network pools every axis at once, so the smallest spatial axis (x, y; and z
// when spatial_dims == 3) decides. Clamped to [2, max_depth] (a U-Net needs one pooling).
int network_depth(const std::array<int64_t, 3>& patch_xyz, int spatial_dims, int max_depth);

// Estimated training memory in bytes of the U-Net with `features` (all of them used: depth =
// features.size(), L = depth - 1 poolings), D = spatial_dims, for `batch` patches of V voxels
// (V = x*y*z; z = 1 for 2-D), float32:
//   floats per voxel = C_in + 2 K                     (input; logits and softmax)
//                    + sum_{l<L} 15 f_l / 2^(D l)     (encoder stage: 2 x conv, norm, act = 6 f_l;
//                                                      decoder stage: upsampled f_l, concat 2 f_l,
//                                                      2 x conv, norm, act = 9 f_l)
//                    + 6 f_L / 2^(D L)                (bottleneck stage)
//   bytes = batch * V * floats per voxel * 4 B * 2    (x2: the gradients of the backward pass)
// Weights and optimizer state are left out (a few percent at these widths).
double training_memory_bytes(const std::array<int64_t, 3>& patch_xyz, int batch,
                             const std::vector<int64_t>& features, int spatial_dims,
                             int in_channels, int num_classes);

// Smallest batch a plan gets: batch statistics and the Dice over a batch need more than one.
inline constexpr int kMinBatch = 2;
// nnU-Net's cap: one batch covers at most 5% of the voxels of the whole (resampled) dataset.
inline constexpr double kMaxBatchDatasetShare = 0.05;

struct PatchPlanRequest {
  std::array<int64_t, 3> median_shape{1, 1, 1};  // (x, y, z) voxels of the median case at target
  int spatial_dims = 3;                          // 2: patch z = 1
  int in_channels = 1;
  int num_classes = 2;
  std::vector<int64_t> features{32, 64, 128, 256};  // widest network allowed; depth cuts it
  double budget_bytes = 4e9;
  double dataset_voxels = 0;                      // sum over cases at target spacing; 0 = no cap
  std::optional<std::array<int64_t, 3>> patch;    // fixed by the user
  std::optional<int> batch;                       // fixed by the user
};

struct PatchPlan {
  std::array<int64_t, 3> patch{1, 1, 1};  // (x, y, z)
  int batch = kMinBatch;
  int depth = 2;                  // features used: the first `depth` of the request's
  double bytes = 0;               // training_memory_bytes of the result
  bool fits = true;               // false when even the smallest patch exceeds the budget
};

// Patch: start from the median shape; depth = network_depth(patch); round every spatial axis up
// to a multiple of 2^(depth-1); while training_memory_bytes(patch, kMinBatch or the user's
// batch) exceeds the budget, shrink the largest axis (the first of x, y, z on ties) by
// 2^(depth-1) and repeat (depth is recomputed). Batch: as many patches as the budget holds,
// floor(budget / bytes of one), capped by kMaxBatchDatasetShare of the dataset, at least
// kMinBatch. A user patch is kept as given (z set to 1 for 2-D; depth lowered until 2^(depth-1)
// divides it); a user batch is kept. Throws unetx::Error when a user patch has an odd spatial
// axis. A patch larger than an image is fine: the sampler and the sliding window zero-pad.
PatchPlan plan_patch_and_batch(const PatchPlanRequest& request);

}  // namespace unetx::pipeline
