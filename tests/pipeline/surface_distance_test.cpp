// Distance transform and surface distances against brute force and hand-computed values.
#include "pipeline/surface_distance.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "pipeline/distance_transform.h"

namespace unetx::pipeline {
namespace {

using Spacing = std::array<double, 3>;

// Physical distance between voxel centres (z, y, x indices) on a grid with spacing (x, y, z).
double voxel_distance(const std::array<int64_t, 3>& a, const std::array<int64_t, 3>& b,
                      const Spacing& s) {
  const double dz = (a[0] - b[0]) * s[2], dy = (a[1] - b[1]) * s[1], dx = (a[2] - b[2]) * s[0];
  return std::sqrt(dx * dx + dy * dy + dz * dz);
}

std::vector<std::array<int64_t, 3>> voxels_of(const at::Tensor& mask) {
  std::vector<std::array<int64_t, 3>> out;
  const at::Tensor idx = mask.nonzero();
  for (int64_t i = 0; i < idx.size(0); ++i) {
    out.push_back(
        {idx[i][0].item<int64_t>(), idx[i][1].item<int64_t>(), idx[i][2].item<int64_t>()});
  }
  return out;
}

// For every voxel of `from`, the distance to the nearest voxel of `to`, by trying all pairs.
std::vector<double> brute_force_distances(const at::Tensor& from, const at::Tensor& to,
                                          const Spacing& s) {
  std::vector<double> out;
  const auto targets = voxels_of(to);
  for (const auto& a : voxels_of(from)) {
    double best = std::numeric_limits<double>::infinity();
    for (const auto& b : targets) best = std::min(best, voxel_distance(a, b, s));
    out.push_back(best);
  }
  return out;
}

double sorted_percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const double pos = p / 100.0 * (v.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

TEST(DistanceTransform, MatchesBruteForceOnAnAnisotropicGrid) {
  at::manual_seed(11);
  const Spacing spacing{0.7, 1.3, 2.5};
  for (double density : {0.02, 0.1, 0.5}) {
    const at::Tensor sites = at::rand({6, 7, 9}).lt(density);
    if (!sites.any().item<bool>()) continue;
    const at::Tensor d = distance_transform(sites, spacing);
    const at::Tensor everywhere = at::ones({6, 7, 9}, at::kBool);
    const auto expected = brute_force_distances(everywhere, sites, spacing);
    const at::Tensor flat = d.flatten();
    ASSERT_EQ(flat.numel(), static_cast<int64_t>(expected.size()));
    for (size_t i = 0; i < expected.size(); ++i) {
      ASSERT_NEAR(flat[i].item<double>(), expected[i], 1e-9) << "voxel " << i;
    }
  }
}

TEST(DistanceTransform, NoSitesIsInfinityEverywhere) {
  const at::Tensor d = distance_transform(at::zeros({2, 3, 4}, at::kBool), {1, 1, 1});
  EXPECT_TRUE(d.isinf().all().item<bool>());
}

TEST(SurfaceVoxels, CubeAndSquare) {
  at::Tensor cube = at::zeros({5, 5, 5}, at::kByte);
  cube.slice(0, 1, 4).slice(1, 1, 4).slice(2, 1, 4).fill_(1);
  at::Tensor s = surface_voxels(cube);
  EXPECT_EQ(s.sum().item<int64_t>(), 26);  // all of the 3x3x3 cube but its centre
  EXPECT_FALSE(s[2][2][2].item<bool>());
  // A one-slice image uses the in-plane 4-neighbourhood: a 3x3 square has 8 border pixels.
  at::Tensor square = at::zeros({1, 5, 5}, at::kByte);
  square.slice(1, 1, 4).slice(2, 1, 4).fill_(1);
  EXPECT_EQ(surface_voxels(square).sum().item<int64_t>(), 8);
  // A mask touching the volume border: the border counts as outside.
  EXPECT_EQ(surface_voxels(at::ones({3, 3, 3}, at::kByte)).sum().item<int64_t>(), 26);
}

TEST(SurfaceMetrics, TwoVoxelsThreeStepsApartAlongX) {
  at::Tensor pred = at::zeros({1, 1, 6}, at::kByte);
  at::Tensor ref = at::zeros({1, 1, 6}, at::kByte);
  pred[0][0][1] = 1;
  ref[0][0][4] = 1;
  const SurfaceMetrics m = surface_metrics(pred, ref, {2.0, 1.0, 1.0}, 5.0);
  EXPECT_DOUBLE_EQ(m.hd, 6.0);
  EXPECT_DOUBLE_EQ(m.hd95, 6.0);
  EXPECT_DOUBLE_EQ(m.assd, 6.0);
  EXPECT_DOUBLE_EQ(m.nsd, 0.0);
  EXPECT_DOUBLE_EQ(surface_metrics(pred, ref, {2.0, 1.0, 1.0}, 6.5).nsd, 1.0);
  EXPECT_EQ(m.empty, "");
}

TEST(SurfaceMetrics, ParallelSlabsTwoSlicesApartWithThickSlices) {
  // Two full planes at z = 1 and z = 3 with 3 mm slices: every surface voxel is 6 mm away.
  at::Tensor pred = at::zeros({5, 4, 4}, at::kByte);
  at::Tensor ref = at::zeros({5, 4, 4}, at::kByte);
  pred[1].fill_(1);
  ref[3].fill_(1);
  const SurfaceMetrics m = surface_metrics(pred, ref, {0.5, 0.5, 3.0}, 1.0);
  EXPECT_NEAR(m.hd, 6.0, 1e-12);
  EXPECT_NEAR(m.assd, 6.0, 1e-12);
  EXPECT_NEAR(m.hd95, 6.0, 1e-12);
  EXPECT_EQ(m.nsd, 0.0);
}

TEST(SurfaceMetrics, RandomMasksMatchBruteForce) {
  at::manual_seed(5);
  const Spacing spacing{0.8, 1.1, 2.0};
  for (int trial = 0; trial < 4; ++trial) {
    const at::Tensor pred = at::rand({5, 8, 9}).lt(0.3);
    const at::Tensor ref = at::rand({5, 8, 9}).lt(0.3);
    const SurfaceMetrics m = surface_metrics(pred, ref, spacing, 1.5);
    const auto a = brute_force_distances(surface_voxels(pred), surface_voxels(ref), spacing);
    const auto b = brute_force_distances(surface_voxels(ref), surface_voxels(pred), spacing);
    std::vector<double> all = a;
    all.insert(all.end(), b.begin(), b.end());
    double sum = 0, within = 0;
    for (double d : all) {
      sum += d;
      within += d <= 1.5;
    }
    EXPECT_NEAR(m.hd, *std::max_element(all.begin(), all.end()), 1e-9);
    EXPECT_NEAR(m.hd95, std::max(sorted_percentile(a, 95), sorted_percentile(b, 95)), 1e-9);
    EXPECT_NEAR(m.assd, sum / all.size(), 1e-9);
    EXPECT_NEAR(m.nsd, within / all.size(), 1e-12);
  }
}

TEST(SurfaceMetrics, EmptyMasksFollowTheDocumentedConvention) {
  const at::Tensor empty = at::zeros({3, 3, 3}, at::kByte);
  at::Tensor one = empty.clone();
  one[1][1][1] = 1;
  SurfaceMetrics both = surface_metrics(empty, empty, {1, 1, 1}, 1.0);
  EXPECT_EQ(both.empty, "both");
  EXPECT_EQ(both.nsd, 1.0);
  EXPECT_TRUE(std::isnan(both.hd) && std::isnan(both.hd95) && std::isnan(both.assd));
  SurfaceMetrics missed = surface_metrics(empty, one, {1, 1, 1}, 1.0);
  EXPECT_EQ(missed.empty, "prediction");
  EXPECT_EQ(missed.nsd, 0.0);
  EXPECT_TRUE(std::isnan(missed.hd));
  EXPECT_EQ(surface_metrics(one, empty, {1, 1, 1}, 1.0).empty, "reference");
}

}  // namespace
}  // namespace unetx::pipeline
