#include "pipeline/plan_rules.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "io/error.h"
#include "pipeline/fingerprint.h"
#include "pipeline/statistics.h"

namespace unetx::pipeline {

namespace {

int active_axes(int spatial_dims) { return spatial_dims == 2 ? 2 : 3; }

int64_t round_up(int64_t n, int64_t divisor) { return (n + divisor - 1) / divisor * divisor; }

std::vector<int64_t> first(const std::vector<int64_t>& features, int depth) {
  return {features.begin(), features.begin() + depth};
}

int batch_for(const PatchPlanRequest& r, const std::array<int64_t, 3>& patch,
              const std::vector<PoolStride>& strides) {
  if (r.batch) return *r.batch;
  const int depth = static_cast<int>(strides.size()) + 1;
  const double one = training_memory_bytes(patch, 1, first(r.features, depth), r.spatial_dims,
                                           r.in_channels, r.num_classes, strides);
  auto fit = static_cast<int64_t>(std::floor(r.budget_bytes / one));
  if (r.dataset_voxels > 0) {
    const double voxels = static_cast<double>(patch[0] * patch[1] * patch[2]);
    const auto cap = static_cast<int64_t>(std::floor(kMaxBatchDatasetShare * r.dataset_voxels / voxels));
    fit = std::min(fit, cap);
  }
  return static_cast<int>(std::clamp<int64_t>(fit, kMinBatch, 1 << 20));
}

PatchPlan finish(const PatchPlanRequest& r, const std::array<int64_t, 3>& patch,
                 const std::vector<PoolStride>& strides) {
  PatchPlan p;
  p.patch = patch;
  p.depth = static_cast<int>(strides.size()) + 1;
  p.pool_strides = strides;
  p.batch = batch_for(r, patch, strides);
  p.bytes = training_memory_bytes(patch, p.batch, first(r.features, p.depth), r.spatial_dims,
                                  r.in_channels, r.num_classes, strides);
  p.fits = p.bytes <= r.budget_bytes;
  return p;
}

}  // namespace

std::array<double, 3> plan_target_spacing(const std::vector<std::array<double, 3>>& spacings,
                                          const std::vector<std::array<int64_t, 3>>& sizes) {
  if (spacings.empty() || spacings.size() != sizes.size())
    throw Error("", "target spacing: need one spacing and one size per case");
  std::array<double, 3> target{}, median_size{};
  std::array<std::vector<double>, 3> axis_spacings;
  for (int a = 0; a < 3; ++a) {
    std::vector<double> sz;
    for (size_t i = 0; i < spacings.size(); ++i) {
      axis_spacings[a].push_back(spacings[i][a]);
      sz.push_back(static_cast<double>(sizes[i][a]));
    }
    target[a] = median(axis_spacings[a]);
    median_size[a] = median(sz);
  }
  const int coarse = static_cast<int>(std::max_element(target.begin(), target.end()) - target.begin());
  double other_spacing = 0, other_size = 0;
  bool first_other = true;
  for (int a = 0; a < 3; ++a) {
    if (a == coarse) continue;
    other_spacing = std::max(other_spacing, target[a]);
    other_size = first_other ? median_size[a] : std::min(other_size, median_size[a]);
    first_other = false;
  }
  const bool anisotropic_spacing = target[coarse] > kAnisotropyThreshold * other_spacing;
  const bool anisotropic_voxels = median_size[coarse] * kAnisotropyThreshold < other_size;
  if (anisotropic_spacing && anisotropic_voxels) {
    double t = percentile(axis_spacings[coarse], 10.0);
    if (t < other_spacing) t = other_spacing + 1e-5;
    target[coarse] = t;
  }
  return target;
}

std::vector<PoolStride> plan_pooling(const std::array<int64_t, 3>& patch_xyz,
                                     const std::array<double, 3>& spacing_xyz, int spatial_dims,
                                     int max_depth, bool exact) {
  const int axes = active_axes(spatial_dims);
  std::array<double, 3> edge{}, spacing = spacing_xyz;
  for (int a = 0; a < 3; ++a) edge[a] = static_cast<double>(patch_xyz[a]);
  std::vector<PoolStride> levels;
  while (static_cast<int>(levels.size()) + 1 < max_depth) {
    std::array<bool, 3> halvable{false, false, false};
    double finest = 0;
    for (int a = 0; a < axes; ++a) {
      halvable[a] = edge[a] >= 8.0 && (!exact || std::fmod(edge[a], 2.0) == 0.0);
      if (halvable[a] && (finest == 0 || spacing[a] < finest)) finest = spacing[a];
    }
    PoolStride stride{1, 1, 1};
    bool any = false;
    for (int a = 0; a < axes; ++a) {
      if (!halvable[a] || spacing[a] >= 2.0 * finest) continue;
      stride[a] = 2;
      edge[a] /= 2.0;
      spacing[a] *= 2.0;
      any = true;
    }
    if (!any) break;
    levels.push_back(stride);
  }
  if (levels.empty())
    levels.push_back(spatial_dims == 2 ? PoolStride{2, 2, 1} : PoolStride{2, 2, 2});
  return levels;
}

std::array<int64_t, 3> pooling_divisor(const std::vector<PoolStride>& strides) {
  std::array<int64_t, 3> divisor{1, 1, 1};
  for (const auto& level : strides)
    for (int a = 0; a < 3; ++a) divisor[a] *= level[a];
  return divisor;
}

std::vector<std::vector<int64_t>> network_pool_strides(const std::vector<PoolStride>& strides,
                                                       int spatial_dims) {
  const int axes = active_axes(spatial_dims);
  bool uniform = true;
  std::vector<std::vector<int64_t>> network;
  for (const auto& level : strides) {
    std::vector<int64_t> factors;
    for (int a = axes - 1; a >= 0; --a) {  // (x, y, z) -> (z, y, x)
      factors.push_back(level[a]);
      uniform = uniform && level[a] == 2;
    }
    network.push_back(factors);
  }
  if (uniform) network.clear();
  return network;
}

double training_memory_bytes(const std::array<int64_t, 3>& patch_xyz, int batch,
                             const std::vector<int64_t>& features, int spatial_dims,
                             int in_channels, int num_classes,
                             const std::vector<PoolStride>& pool_strides) {
  if (features.size() < 2) throw Error("", "memory estimate: features needs >= 2 entries");
  const int L = static_cast<int>(features.size()) - 1;
  if (!pool_strides.empty() && static_cast<int>(pool_strides.size()) != L)
    throw Error("", "memory estimate: pool_strides needs one entry per downsampling");
  double per_voxel = in_channels + 2.0 * num_classes;
  double share = 1.0;  // r_l: the share of the patch's voxels at level l
  for (int l = 0; l <= L; ++l) {
    per_voxel += (l < L ? 15.0 : 6.0) * features[l] * share;
    if (l == L) break;
    for (int a = 0; a < active_axes(spatial_dims); ++a)
      share /= pool_strides.empty() ? 2.0 : static_cast<double>(pool_strides[l][a]);
  }
  const double voxels =
      static_cast<double>(patch_xyz[0]) * patch_xyz[1] * (spatial_dims == 2 ? 1 : patch_xyz[2]);
  return batch * voxels * per_voxel * 4.0 * 2.0;
}

PatchPlan plan_patch_and_batch(const PatchPlanRequest& r) {
  if (r.features.size() < 2) throw Error("--features", "needs at least 2 entries");
  const int max_depth = static_cast<int>(r.features.size());
  const int axes = active_axes(r.spatial_dims);
  if (r.patch) {
    std::array<int64_t, 3> patch = *r.patch;
    if (r.spatial_dims == 2) patch[2] = 1;
    for (int a = 0; a < axes; ++a) {
      if (patch[a] < 2 || patch[a] % 2 != 0)
        throw Error("--patch-size", "axis " + std::string(1, "xyz"[a]) + " = " +
                                        std::to_string(patch[a]) +
                                        " must be even (the U-Net halves it at least once)");
    }
    return finish(r, patch, plan_pooling(patch, r.spacing, r.spatial_dims, max_depth, true));
  }
  std::array<int64_t, 3> patch = r.median_shape;
  for (auto& p : patch) p = std::max<int64_t>(p, 1);
  if (r.spatial_dims == 2) patch[2] = 1;
  const int min_batch = r.batch.value_or(kMinBatch);
  for (;;) {
    const auto strides = plan_pooling(patch, r.spacing, r.spatial_dims, max_depth);
    const auto divisor = pooling_divisor(strides);
    const int depth = static_cast<int>(strides.size()) + 1;
    std::array<int64_t, 3> rounded = patch;
    for (int a = 0; a < axes; ++a) rounded[a] = round_up(patch[a], divisor[a]);
    const double bytes = training_memory_bytes(rounded, min_batch, first(r.features, depth),
                                               r.spatial_dims, r.in_channels, r.num_classes,
                                               strides);
    int largest = 0;
    for (int a = 1; a < axes; ++a)
      if (rounded[a] > rounded[largest]) largest = a;
    if (bytes <= r.budget_bytes || rounded[largest] <= divisor[largest])
      return finish(r, rounded, strides);
    patch = rounded;
    patch[largest] -= divisor[largest];
  }
}

}  // namespace unetx::pipeline
