// make_plan: the fingerprint -> plan decisions composed, on a hand-made fingerprint whose plan
// is worked out by hand, and every override.
#include <gtest/gtest.h>

#include <cmath>

#include "io/error.h"
#include "pipeline/preprocess_run.h"

using namespace unetx::pipeline;
using I3 = std::array<int64_t, 3>;

namespace {

CaseFingerprint case_with(const std::string& id, double z_spacing, std::vector<float> samples) {
  CaseFingerprint c;
  c.id = id;
  c.spacing = {1, 1, z_spacing};
  c.size = {64, 64, 10};
  c.modality = {"CT"};
  c.max_label = 2;
  c.samples = {std::move(samples)};
  return c;
}

DatasetFingerprint thick_slice_ct() {
  return summarize_fingerprints({case_with("a", 4, {0, 10}), case_with("b", 5, {20}),
                                 case_with("c", 6, {30, 40})});
}

}  // namespace

TEST(MakePlan, ThickSliceCtCohortGetsTheHandComputedPlan) {
  PreprocessSettings s;
  s.features = {8, 16, 32, 64};
  const Plan p = make_plan(thick_slice_ct(), s);
  // z spacings {4, 5, 6}: median 5 > 3 x 1 and 10 slices x 3 < 64: percentile_10 = 4.2.
  EXPECT_DOUBLE_EQ(p.target_spacing[2], 4.2);
  EXPECT_DOUBLE_EQ(p.target_spacing[0], 1.0);
  // Slices at 4.2 mm: round(10 x {4, 5, 6} / 4.2) = {10, 12, 14} -> median shape 64 x 64 x 12.
  // Pooling at (1, 1, 4.2) mm: z waits while 4.2 >= 2 x the in-plane spacing (1, then 2) and
  // pools at the third level (4.2 < 8): depth 4, (z, y, x) strides (1,2,2) (1,2,2) (2,2,2),
  // divisors 8, 8, 2: patch 64 x 64 x 12 as it is (fits 4 GB easily).
  EXPECT_EQ(p.patch_size, (I3{64, 64, 12}));
  EXPECT_EQ(p.network["features"], nlohmann::json::array({8, 16, 32, 64}));
  EXPECT_EQ(p.network["pool_strides"], nlohmann::json::parse("[[1,2,2],[1,2,2],[2,2,2]]"));
  // 3 classes; the levels hold 1, 1/4, 1/16, 1/128 of the voxels: 1 + 2 x 3 + 15 x 8 +
  // 15 x 16 / 4 + 15 x 32 / 16 + 6 x 64 / 128 = 220 floats per voxel. 4e9 / (49,152 voxels x
  // 220 x 8 B) = 46 would fit, but 5% of the dataset's 64 x 64 x 36 voxels is less than one
  // patch: the minimum, 2.
  EXPECT_EQ(p.batch_size, 2);
  EXPECT_DOUBLE_EQ(p.estimated_memory_gb, 2.0 * 49152 * 220 * 8 / 1e9);
  // CT: pooled foreground {0, 10, 20, 30, 40}: percentiles 0.2 and 39.8, mean 20, std sqrt(200).
  ASSERT_EQ(p.channel_normalization.size(), 1u);
  const ChannelNormalization& n = p.channel_normalization[0];
  EXPECT_EQ(n.scheme, "ct");
  EXPECT_NEAR(n.clip_low, 0.2, 1e-12);
  EXPECT_NEAR(n.clip_high, 39.8, 1e-12);
  EXPECT_DOUBLE_EQ(n.mean, 20.0);
  EXPECT_NEAR(n.std, std::sqrt(200.0), 1e-12);
  EXPECT_EQ(p.normalization, "ct");
  EXPECT_EQ(p.modality, std::vector<std::string>{"CT"});
  EXPECT_EQ(p.labels, (std::vector<std::string>{"background", "label_1", "label_2"}));
  EXPECT_TRUE(p.crop_to_nonzero);
  EXPECT_EQ(p.num_cases, 3);
  EXPECT_EQ(p.median_spacing, (std::array<double, 3>{1, 1, 5}));
  EXPECT_EQ(p.fingerprint["cases"].size(), 3u);
}

TEST(MakePlan, EveryDecisionCanBeOverridden) {
  PreprocessSettings s;
  s.features = {8, 16, 32, 64};
  s.target_spacing = std::array<double, 3>{1, 1, 5};
  s.normalization = {"zscore_nonzero"};
  s.crop_to_nonzero = false;
  s.patch_size = I3{32, 32, 8};
  s.batch_size = 4;
  s.memory_budget_gb = 2;
  const Plan p = make_plan(thick_slice_ct(), s);
  EXPECT_EQ(p.target_spacing, (std::array<double, 3>{1, 1, 5}));
  EXPECT_EQ(p.channel_normalization[0].scheme, "zscore_nonzero");
  EXPECT_FALSE(p.crop_to_nonzero);
  EXPECT_EQ(p.patch_size, (I3{32, 32, 8}));
  // At (1, 1, 5) mm z waits two levels (5 >= 2 x 1, 5 >= 2 x 2), then x, y, z pool: depth 4.
  EXPECT_EQ(p.network["features"], nlohmann::json::array({8, 16, 32, 64}));
  EXPECT_EQ(p.network["pool_strides"], nlohmann::json::parse("[[1,2,2],[1,2,2],[2,2,2]]"));
  EXPECT_EQ(p.batch_size, 4);
  EXPECT_DOUBLE_EQ(p.memory_budget_gb, 2.0);

  s.normalization = {"zscore", "ct"};  // two entries for one channel
  EXPECT_THROW(make_plan(thick_slice_ct(), s), unetx::Error);
}

TEST(MakePlan, CtWithoutAnyForegroundIsRefused) {
  CaseFingerprint c = case_with("a", 1, {});
  c.samples.clear();  // a label without foreground
  PreprocessSettings s;
  EXPECT_THROW(make_plan(summarize_fingerprints({c}), s), unetx::Error);
  s.normalization = {"zscore"};
  EXPECT_EQ(make_plan(summarize_fingerprints({c}), s).normalization, "zscore");
}
