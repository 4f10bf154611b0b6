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

// Lowers `depth` until 2^(depth-1) divides every spatial axis of the patch (not below 2).
int divisible_depth(const std::array<int64_t, 3>& patch, int spatial_dims, int depth) {
  auto divides = [&](int d) {
    for (int a = 0; a < active_axes(spatial_dims); ++a)
      if (patch[a] % (int64_t{1} << (d - 1)) != 0) return false;
    return true;
  };
  while (depth > 2 && !divides(depth)) --depth;
  return depth;
}

int batch_for(const PatchPlanRequest& r, const std::array<int64_t, 3>& patch, int depth) {
  if (r.batch) return *r.batch;
  const double one = training_memory_bytes(patch, 1, first(r.features, depth), r.spatial_dims,
                                           r.in_channels, r.num_classes);
  auto fit = static_cast<int64_t>(std::floor(r.budget_bytes / one));
  if (r.dataset_voxels > 0) {
    const double voxels = static_cast<double>(patch[0] * patch[1] * patch[2]);
    const auto cap = static_cast<int64_t>(std::floor(kMaxBatchDatasetShare * r.dataset_voxels / voxels));
    fit = std::min(fit, cap);
  }
  return static_cast<int>(std::clamp<int64_t>(fit, kMinBatch, 1 << 20));
}

PatchPlan finish(const PatchPlanRequest& r, const std::array<int64_t, 3>& patch, int depth) {
  PatchPlan p;
  p.patch = patch;
  p.depth = depth;
  p.batch = batch_for(r, patch, depth);
  p.bytes = training_memory_bytes(patch, p.batch, first(r.features, depth), r.spatial_dims,
                                  r.in_channels, r.num_classes);
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

int network_depth(const std::array<int64_t, 3>& patch_xyz, int spatial_dims, int max_depth) {
  int levels = 1 << 20;
  for (int a = 0; a < active_axes(spatial_dims); ++a) {
    int n = 0;
    for (double edge = static_cast<double>(patch_xyz[a]); edge >= 8.0; edge /= 2.0) ++n;
    levels = std::min(levels, n);
  }
  return std::clamp(levels + 1, 2, std::max(2, max_depth));
}

double training_memory_bytes(const std::array<int64_t, 3>& patch_xyz, int batch,
                             const std::vector<int64_t>& features, int spatial_dims,
                             int in_channels, int num_classes) {
  if (features.size() < 2) throw Error("", "memory estimate: features needs >= 2 entries");
  const int L = static_cast<int>(features.size()) - 1;
  const double shrink = std::pow(2.0, spatial_dims);  // voxels per pooled voxel
  double per_voxel = in_channels + 2.0 * num_classes;
  for (int l = 0; l < L; ++l) per_voxel += 15.0 * features[l] / std::pow(shrink, l);
  per_voxel += 6.0 * features[L] / std::pow(shrink, L);
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
    const int depth =
        divisible_depth(patch, r.spatial_dims, network_depth(patch, r.spatial_dims, max_depth));
    return finish(r, patch, depth);
  }
  std::array<int64_t, 3> patch = r.median_shape;
  for (auto& p : patch) p = std::max<int64_t>(p, 1);
  if (r.spatial_dims == 2) patch[2] = 1;
  const int min_batch = r.batch.value_or(kMinBatch);
  for (;;) {
    const int depth = network_depth(patch, r.spatial_dims, max_depth);
    const int64_t divisor = int64_t{1} << (depth - 1);
    std::array<int64_t, 3> rounded = patch;
    for (int a = 0; a < axes; ++a) rounded[a] = round_up(patch[a], divisor);
    const double bytes = training_memory_bytes(rounded, min_batch, first(r.features, depth),
                                               r.spatial_dims, r.in_channels, r.num_classes);
    int largest = 0;
    for (int a = 1; a < axes; ++a)
      if (rounded[a] > rounded[largest]) largest = a;
    if (bytes <= r.budget_bytes || rounded[largest] <= divisor) return finish(r, rounded, depth);
    patch = rounded;
    patch[largest] -= divisor;
  }
}

}  // namespace unetx::pipeline
