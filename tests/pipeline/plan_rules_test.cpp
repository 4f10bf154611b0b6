// The planning rules against values computed by hand (see each comment for the arithmetic).
#include "pipeline/plan_rules.h"

#include <gtest/gtest.h>

#include "io/error.h"

using namespace unetx::pipeline;
using A3 = std::array<double, 3>;
using I3 = std::array<int64_t, 3>;

TEST(PlanTargetSpacing, IsotropicDataTakesThePerAxisMedian) {
  // x {1, 0.8, 1.2} -> 1; y {1, 0.8, 1} -> 1; z {1, 1.2, 1.5} -> 1.2 (not > 3 x 1).
  const auto t = plan_target_spacing({{1, 1, 1}, {0.8, 0.8, 1.2}, {1.2, 1, 1.5}},
                                     {{100, 100, 80}, {100, 100, 80}, {100, 100, 80}});
  EXPECT_EQ(t, (A3{1, 1, 1.2}));
}

TEST(PlanTargetSpacing, MedianOfAnEvenCountAveragesTheMiddleTwo) {
  const auto t = plan_target_spacing({{1, 1, 1}, {2, 2, 2}}, {{10, 10, 10}, {10, 10, 10}});
  EXPECT_EQ(t, (A3{1.5, 1.5, 1.5}));
}

TEST(PlanTargetSpacing, ThickSlicesTakeThe10thPercentileOfTheCoarseAxis) {
  // Medians: x, y {0.7, 0.8, 0.9, 1} -> 0.85; z {2.5, 4, 5, 5} -> 4.5 > 3 x 0.85, and
  // 40 slices x 3 < 256: anisotropic. z = percentile_10 {2.5, 4, 5, 5}: position 0.1 x 3 = 0.3,
  // 2.5 + 0.3 x (4 - 2.5) = 2.95.
  const auto t = plan_target_spacing(
      {{0.8, 0.8, 5}, {1, 1, 5}, {0.9, 0.9, 4}, {0.7, 0.7, 2.5}},
      {{256, 256, 40}, {256, 256, 40}, {256, 256, 40}, {256, 256, 40}});
  EXPECT_DOUBLE_EQ(t[0], 0.85);
  EXPECT_DOUBLE_EQ(t[1], 0.85);
  EXPECT_DOUBLE_EQ(t[2], 2.95);
}

TEST(PlanTargetSpacing, CoarseSpacingWithManySlicesKeepsTheMedian) {
  // Spacing (1, 1, 5) is anisotropic, but 100 slices x 3 is not below 100 voxels in-plane.
  const auto t = plan_target_spacing({{1, 1, 5}, {1, 1, 5}, {1, 1, 3}},
                                     {{100, 100, 100}, {100, 100, 100}, {100, 100, 100}});
  EXPECT_EQ(t, (A3{1, 1, 5}));
}

TEST(PlanTargetSpacing, TheCoarseAxisNeverBecomesFinerThanTheOthers) {
  // z {0.5, 0.5, 6, 6, 6}: median 6; percentile_10 at position 0.4 = 0.5 < 1 -> 1 + 1e-5.
  const std::vector<I3> sizes(5, I3{200, 200, 20});
  const auto t = plan_target_spacing({{1, 1, 0.5}, {1, 1, 0.5}, {1, 1, 6}, {1, 1, 6}, {1, 1, 6}},
                                     sizes);
  EXPECT_DOUBLE_EQ(t[2], 1.00001);
  EXPECT_DOUBLE_EQ(t[0], 1.0);
}

using Levels = std::vector<PoolStride>;
const PoolStride kAll{2, 2, 2}, kXY{2, 2, 1};

TEST(PlanPooling, IsotropicAxesPoolTogetherWhileTheSmallestIsAtLeast8) {
  const A3 mm{1, 1, 1};
  EXPECT_EQ(plan_pooling({64, 64, 64}, mm, 3, 4), Levels(3, kAll));  // capped: 4 features
  EXPECT_EQ(plan_pooling({64, 64, 64}, mm, 3, 6), Levels(4, kAll));  // 64 32 16 8 -> 4 pools
  EXPECT_EQ(plan_pooling({160, 160, 1}, mm, 2, 7), Levels(5, kXY));  // 160 .. 10 -> 5 (z unused)
  EXPECT_EQ(plan_pooling({7, 7, 7}, mm, 3, 4), Levels(1, kAll));     // none; a U-Net needs one
}

TEST(PlanPooling, AThinAxisStopsWhileTheOthersGoOn) {
  // A 4-voxel slab: z never has 8 voxels, x and y pool 3 times (96 48 24 12, 112 56 28 14).
  EXPECT_EQ(plan_pooling({96, 112, 4}, {2, 2, 2}, 3, 4), Levels(3, kXY));
  // z: 16 8 -> 2 pools; x, y: 160 80 40 20 10 -> 5 pools (capped at 6 features).
  EXPECT_EQ(plan_pooling({160, 160, 16}, {1, 1, 1}, 3, 6),
            (Levels{kAll, kAll, kXY, kXY, kXY}));
  EXPECT_EQ(pooling_divisor({kAll, kAll, kXY, kXY, kXY}), (I3{32, 32, 4}));
}

TEST(PlanPooling, ThickSlicesWaitUntilTheInPlaneSpacingReachesHalfOfTheirs) {
  // (0.8, 0.8, 3) mm: level 1: 3 >= 2 x 0.8, z kept; x, y -> 1.6 mm. Level 2: 3 < 3.2, all
  // pool -> (3.2, 3.2, 6) mm, 40 x 40 x 16. Level 3: 6 < 6.4, all -> 20 x 20 x 8. Level 4:
  // all -> 10 x 10 x 4. Level 5: z has 4 voxels, x, y -> 5 x 5.
  EXPECT_EQ(plan_pooling({160, 160, 32}, {0.8, 0.8, 3}, 3, 6),
            (Levels{kXY, kAll, kAll, kAll, kXY}));
}

TEST(PlanPooling, AUserPatchIsHalvedOnlyWhileEven) {
  // 36: 36 18 9 -> 2 pools (9 is odd) although 9 >= 8; z 12 12/2 = 6 -> 1 pool.
  EXPECT_EQ(plan_pooling({36, 36, 36}, {1, 1, 1}, 3, 4, true), Levels(2, kAll));
  EXPECT_EQ(plan_pooling({24, 24, 12}, {1, 1, 1}, 3, 4, true), (Levels{kAll, kXY}));
}

TEST(PlanPooling, NetworkStridesAreInInputOrderAndEmptyWhenUniform) {
  using N = std::vector<std::vector<int64_t>>;
  EXPECT_EQ(network_pool_strides(Levels(3, kXY), 3), (N(3, {1, 2, 2})));  // (z, y, x)
  EXPECT_EQ(network_pool_strides({kAll, {1, 2, 2}}, 3), (N{{2, 2, 2}, {2, 2, 1}}));
  EXPECT_TRUE(network_pool_strides(Levels(2, kAll), 3).empty());
  EXPECT_TRUE(network_pool_strides(Levels(4, kXY), 2).empty());  // 2-D: z is not an axis
  EXPECT_EQ(network_pool_strides({{1, 2, 1}}, 2), (N{{2, 1}}));   // (y, x)
}

TEST(PlanMemory, FormulaGivesTheHandComputedBytes) {
  // 3-D, features {8, 16, 32}: 1 + 2x2 + 15x8 + 15x16/8 + 6x32/64 = 158 floats per voxel;
  // 2 x 16^3 x 158 x 4 B x 2 = 10,354,688 B.
  EXPECT_DOUBLE_EQ(training_memory_bytes({16, 16, 16}, 2, {8, 16, 32}, 3, 1, 2), 10354688.0);
  // 2-D: 5 + 120 + 15x16/4 + 6x32/16 = 197 floats per pixel; 32 x 32 x 197 x 8 = 1,613,824 B.
  EXPECT_DOUBLE_EQ(training_memory_bytes({32, 32, 1}, 1, {8, 16, 32}, 2, 1, 2), 1613824.0);
  // 3-D pooled (2, 2, 1) twice: levels hold 1, 1/4, 1/16 of the voxels, as in the 2-D case:
  // 197 floats per voxel; 32 x 32 x 1 x 197 x 8 = 1,613,824 B again.
  EXPECT_DOUBLE_EQ(training_memory_bytes({32, 32, 1}, 1, {8, 16, 32}, 3, 1, 2, Levels(2, kXY)),
                   1613824.0);
}

TEST(PlanPatchAndBatch, ShrinksTheLargestAxisUntilTheBudgetHolds) {
  // 158 floats/voxel -> 1264 B/voxel per sample; budget 4.5e8 B at batch 2 holds 177,996 voxels.
  // 64^3 (depth 3, divisor 4 on every axis) is too big; shrinking x, y, z, x, y, z by 4 each:
  // 60x64x64, 60x60x64, 60^3, 56x60x60, 56x56x60 are all too big, 56^3 = 175,616 voxels fits.
  PatchPlanRequest r;
  r.median_shape = {64, 64, 64};
  r.features = {8, 16, 32};
  r.budget_bytes = 4.5e8;
  const PatchPlan p = plan_patch_and_batch(r);
  EXPECT_EQ(p.patch, (I3{56, 56, 56}));
  EXPECT_EQ(p.depth, 3);
  EXPECT_EQ(p.batch, 2);  // floor(4.5e8 / (175,616 x 1264)) = floor(2.03)
  EXPECT_DOUBLE_EQ(p.bytes, 2.0 * 175616 * 1264);
  EXPECT_TRUE(p.fits);
}

TEST(PlanPatchAndBatch, BatchIsAsManyAsFitCappedAt5PercentOfTheDataset) {
  // Median 30^3: depth 3 (30 15 -> 2 pools), rounded up to 32^3 = 32,768 voxels,
  // 32,768 x 1264 = 41,418,752 B per patch; 1e9 B holds floor(24.14) = 24.
  PatchPlanRequest r;
  r.median_shape = {30, 30, 30};
  r.features = {8, 16, 32};
  r.budget_bytes = 1e9;
  PatchPlan p = plan_patch_and_batch(r);
  EXPECT_EQ(p.patch, (I3{32, 32, 32}));
  EXPECT_EQ(p.batch, 24);
  r.dataset_voxels = 200.0 * 32768;  // 5% = 10 patches
  EXPECT_EQ(plan_patch_and_batch(r).batch, 10);
  r.dataset_voxels = 20.0 * 32768;   // 5% = 1 patch, but never below 2
  EXPECT_EQ(plan_patch_and_batch(r).batch, 2);
  r.batch = 5;                        // the user's batch is kept
  EXPECT_EQ(plan_patch_and_batch(r).batch, 5);
}

TEST(PlanPatchAndBatch, TwoDPlansRoundInPlaneAxesAndKeepZOne) {
  // 100 x 80: 4 pools possible on both, depth 5 capped at 4 features -> divisor 8: 104 x 80.
  PatchPlanRequest r;
  r.median_shape = {100, 80, 50};
  r.spatial_dims = 2;
  r.features = {8, 16, 32, 64};
  r.budget_bytes = 1e9;
  const PatchPlan p = plan_patch_and_batch(r);
  EXPECT_EQ(p.patch, (I3{104, 80, 1}));
  EXPECT_EQ(p.depth, 4);
}

TEST(PlanPatchAndBatch, UserPatchIsKeptAndTheDepthDividesIt) {
  PatchPlanRequest r;
  r.features = {8, 16, 32, 64};
  r.patch = I3{40, 40, 40};  // 40 20 10 -> 3 pools, depth 4, 40 % 8 == 0
  EXPECT_EQ(plan_patch_and_batch(r).depth, 4);
  r.patch = I3{36, 36, 36};  // depth 4 wants 36 % 8 == 0: no; depth 3 (36 % 4 == 0)
  EXPECT_EQ(plan_patch_and_batch(r).depth, 3);
  EXPECT_EQ(plan_patch_and_batch(r).patch, (I3{36, 36, 36}));
  r.patch = I3{24, 24, 12};  // x, y: 24 12 -> 2 pools; z: 12 -> 1 pool; depth 3
  EXPECT_EQ(plan_patch_and_batch(r).depth, 3);
  EXPECT_EQ(plan_patch_and_batch(r).pool_strides, (Levels{kAll, kXY}));
  r.patch = I3{15, 16, 16};
  EXPECT_THROW(plan_patch_and_batch(r), unetx::Error);
}

TEST(PlanPatchAndBatch, AThinSlabKeepsItsDepthAndPoolsInPlane) {
  // The Colin27 cross-validation's slabs: 90 x 106 x 4 at 2 mm. x, y pool 3 times (divisor 8):
  // 96 x 112; z is kept whole (divisor 1).
  PatchPlanRequest r;
  r.median_shape = {90, 106, 4};
  r.spacing = {2, 2, 2};
  r.features = {16, 32, 64, 128};
  const PatchPlan p = plan_patch_and_batch(r);
  EXPECT_EQ(p.patch, (I3{96, 112, 4}));
  EXPECT_EQ(p.depth, 4);
  EXPECT_EQ(p.pool_strides, Levels(3, kXY));
}

TEST(PlanPatchAndBatch, ABudgetTooSmallForAnyPatchEndsAtTheSmallestOne) {
  PatchPlanRequest r;
  r.median_shape = {16, 16, 16};
  r.features = {8, 16};
  r.budget_bytes = 1;
  const PatchPlan p = plan_patch_and_batch(r);
  EXPECT_FALSE(p.fits);
  EXPECT_EQ(p.patch, (I3{2, 2, 2}));
  EXPECT_EQ(p.batch, 2);
}
