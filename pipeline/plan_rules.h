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

// Downsampling of one U-Net level along x, y, z: 2 halves the axis, 1 keeps it (z is 1 in 2-D).
using PoolStride = std::array<int64_t, 3>;

// The U-Net's downsampling levels for a patch of `patch_xyz` voxels at `spacing_xyz` mm, after
// nnU-Net's rule (get_pool_and_conv_props). Among the active axes (x, y; and z when
// spatial_dims == 3), those with >= 8 voxels left may be halved (so the coarsest level keeps
// >= 4 a side); of these, the ones whose spacing is below 2x the finest spacing among them are
// halved. A thin axis thus stops while the others go on, and thick slices wait until the
// in-plane spacing has coarsened to theirs. With `exact` (a user's patch, never rounded) an axis
// is halved only while its size is even. Levels are added until no axis is halved or there are
// max_depth - 1 of them (depth = levels + 1 = the features used). When no axis can be halved
// at all, the result is one level halving every active axis: a U-Net needs one pooling.
std::vector<PoolStride> plan_pooling(const std::array<int64_t, 3>& patch_xyz,
                                     const std::array<double, 3>& spacing_xyz, int spatial_dims,
                                     int max_depth, bool exact = false);

// Per axis (x, y, z), the product of the levels' strides: what each patch axis must divide by.
std::array<int64_t, 3> pooling_divisor(const std::vector<PoolStride>& strides);

// The strides as the U-Net's pool_strides option (models/unet.h): per level, spatial_dims
// factors in the network's input order ((z,) y, x). Empty when every level halves every active
// axis, the network's default, so isotropic plans read as they did before anisotropic pooling.
std::vector<std::vector<int64_t>> network_pool_strides(const std::vector<PoolStride>& strides,
                                                       int spatial_dims);

// Estimated training memory in bytes of the U-Net with `features` (all of them used: depth =
// features.size(), L = depth - 1 poolings), D = spatial_dims, for `batch` patches of V voxels
// (V = x*y*z; z = 1 for 2-D), float32, where level l holds the share r_l of the patch's voxels
// (r_0 = 1, r_{l+1} = r_l / the product of level l's strides on the active axes; `pool_strides`
// empty = 2^-D per level):
//   floats per voxel = C_in + 2 K                     (input; logits and softmax)
//                    + sum_{l<L} 15 f_l r_l           (encoder stage: 2 x conv, norm, act = 6 f_l;
//                                                      decoder stage: upsampled f_l, concat 2 f_l,
//                                                      2 x conv, norm, act = 9 f_l)
//                    + 6 f_L r_L                      (bottleneck stage)
//   bytes = batch * V * floats per voxel * 4 B * 2    (x2: the gradients of the backward pass)
// Weights and optimizer state are left out (a few percent at these widths).
double training_memory_bytes(const std::array<int64_t, 3>& patch_xyz, int batch,
                             const std::vector<int64_t>& features, int spatial_dims,
                             int in_channels, int num_classes,
                             const std::vector<PoolStride>& pool_strides = {});

// Smallest batch a plan gets: batch statistics and the Dice over a batch need more than one.
inline constexpr int kMinBatch = 2;
// nnU-Net's cap: one batch covers at most 5% of the voxels of the whole (resampled) dataset.
inline constexpr double kMaxBatchDatasetShare = 0.05;

struct PatchPlanRequest {
  std::array<int64_t, 3> median_shape{1, 1, 1};  // (x, y, z) voxels of the median case at target
  std::array<double, 3> spacing{1, 1, 1};        // (x, y, z) mm, the target spacing
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
  std::vector<PoolStride> pool_strides;  // depth - 1 levels, plan_pooling of the patch
  double bytes = 0;               // training_memory_bytes of the result
  bool fits = true;               // false when even the smallest patch exceeds the budget
};

// Patch: start from the median shape; pooling = plan_pooling(patch); round every active axis up
// to a multiple of its pooling_divisor; while training_memory_bytes(patch, kMinBatch or the
// user's batch) exceeds the budget, shrink the largest axis (the first of x, y, z on ties) by its
// divisor and repeat (the pooling is recomputed). Batch: as many patches as the budget holds,
// floor(budget / bytes of one), capped by kMaxBatchDatasetShare of the dataset, at least
// kMinBatch. A user patch is kept as given (z set to 1 for 2-D) and pooled with `exact` so the
// network divides it; a user batch is kept. Throws unetx::Error when a user patch has an odd
// spatial axis. A patch larger than an image is fine: the sampler and the sliding window
// zero-pad.
PatchPlan plan_patch_and_batch(const PatchPlanRequest& request);

}  // namespace unetx::pipeline
