// The dataset fingerprint: which voxels count as foreground, the sampling, and the cohort
// statistics, against hand-computed values.
#include "pipeline/fingerprint.h"

#include <gtest/gtest.h>

#include <cmath>

#include "io/error.h"

using namespace unetx::pipeline;
using unetx::io::Volume;

namespace {

// One channel (1, 1, 10, 20) holding first, first + 1, ..., first + 199 (x fastest).
Volume ramp(float first) {
  Volume v;
  v.data = (at::arange(200, at::kFloat) + first).view({1, 1, 10, 20});
  v.geometry.spacing = {0.5, 0.5, 2.0};
  return v;
}

Volume label_where(const at::Tensor& mask) {
  Volume l;
  l.data = mask.to(at::kByte).view({1, 1, 10, 20});
  return l;
}

}  // namespace

TEST(Fingerprint, ForegroundIsTheLabelAndWithoutOneTheNonzeroRegion) {
  const Volume image = ramp(1.0f);  // 1 .. 200
  const Volume label = label_where(image.data.gt(150));
  const CaseFingerprint f = fingerprint_case("a", image, &label, {"CT"});
  ASSERT_EQ(f.samples.size(), 1u);
  ASSERT_EQ(f.samples[0].size(), 50u);  // 151 .. 200
  EXPECT_EQ(f.samples[0].front(), 151.0f);
  EXPECT_EQ(f.samples[0].back(), 200.0f);
  EXPECT_EQ(f.max_label, 1);
  EXPECT_EQ(f.size, (std::array<int64_t, 3>{20, 10, 1}));
  EXPECT_EQ(f.spacing, (std::array<double, 3>{0.5, 0.5, 2.0}));
  EXPECT_EQ(f.modality, std::vector<std::string>{"CT"});
  EXPECT_TRUE(f.axis_aligned);

  Volume holes = ramp(-9.0f);  // -9 .. 190: one zero, at index 9
  holes.geometry.direction = {0, 0, -1, 1, 0, 0, 0, -1, 0};  // a signed permutation: aligned
  EXPECT_TRUE(fingerprint_case("b", holes, nullptr, {}).axis_aligned);
  const double c = std::cos(0.3), s = std::sin(0.3);
  holes.geometry.direction = {c, -s, 0, s, c, 0, 0, 0, 1};  // oblique
  const CaseFingerprint g = fingerprint_case("b", holes, nullptr, {});
  EXPECT_FALSE(g.axis_aligned);
  EXPECT_EQ(g.samples[0].size(), 199u);
  EXPECT_EQ(g.modality, std::vector<std::string>{""});
  EXPECT_EQ(g.nonzero.size, (std::array<int64_t, 3>{20, 10, 1}));
}

TEST(Fingerprint, ALabelWithoutForegroundLeavesOnlyTheIntensitiesOut) {
  const Volume image = ramp(1.0f);
  const Volume empty = label_where(at::zeros({200}, at::kBool));
  const CaseFingerprint f = fingerprint_case("empty", image, &empty, {});
  EXPECT_TRUE(f.samples.empty());
  EXPECT_EQ(f.size, (std::array<int64_t, 3>{20, 10, 1}));
  const DatasetFingerprint d =
      summarize_fingerprints({f, fingerprint_case("b", ramp(1.0f), nullptr, {})});
  EXPECT_EQ(d.intensity[0].samples, 200);
}

TEST(Fingerprint, ManyForegroundVoxelsAreSampledEvenly) {
  const Volume image = ramp(1.0f);
  const CaseFingerprint f = fingerprint_case("a", image, nullptr, {}, /*max_samples=*/50);
  ASSERT_EQ(f.samples[0].size(), 50u);
  // Indices floor(i x 200 / 50) = 0, 4, 8, ...: values 1, 5, 9, ..., 197.
  EXPECT_EQ(f.samples[0][0], 1.0f);
  EXPECT_EQ(f.samples[0][1], 5.0f);
  EXPECT_EQ(f.samples[0][49], 197.0f);
}

TEST(Fingerprint, CohortStatisticsAreThePooledPercentilesMeanAndStd) {
  // Case a (1 .. 200): label over 1 .. 100; case b (101 .. 300): label over 101 .. 200 ->
  // pooled 1 .. 200.
  const Volume a = ramp(1.0f);
  Volume b_coarse = ramp(101.0f);
  const Volume la = label_where(a.data.le(100)), lb = label_where(b_coarse.data.le(200));
  b_coarse.geometry.spacing = {1.5, 0.5, 3.0};
  const DatasetFingerprint d = summarize_fingerprints(
      {fingerprint_case("a", a, &la, {"CT"}), fingerprint_case("b", b_coarse, &lb, {"CT"})});
  const ChannelIntensity& i = d.intensity.at(0);
  EXPECT_EQ(i.samples, 200);
  // numpy percentile: position q/100 x 199; 0.995 -> 1 + 0.995; 198.005 -> 199 + 0.005.
  EXPECT_NEAR(i.percentile_00_5, 1.995, 1e-9);
  EXPECT_NEAR(i.percentile_99_5, 199.005, 1e-9);
  EXPECT_DOUBLE_EQ(i.mean, 100.5);
  EXPECT_NEAR(i.std, std::sqrt((200.0 * 200.0 - 1.0) / 12.0), 1e-9);  // population std of 1..n
  EXPECT_EQ(d.median_spacing, (std::array<double, 3>{1.0, 0.5, 2.5}));
  EXPECT_EQ(d.modality, std::vector<std::string>{"CT"});
  const auto j = d.to_json();
  EXPECT_EQ(j["cases"].size(), 2u);
  EXPECT_EQ(j["cases"][0]["foreground_samples"], 100);
  EXPECT_EQ(j["axis_aligned_cases"], 2);
  EXPECT_NEAR(j["channels"][0]["percentile_99_5"].get<double>(), 199.005, 1e-9);
}

TEST(Fingerprint, NonFiniteVoxelsDoNotEnterTheStatistics) {
  Volume image = ramp(1.0f);
  image.data.view(-1)[3] = std::nanf("");
  const CaseFingerprint f = fingerprint_case("nan", image, nullptr, {});
  EXPECT_EQ(f.samples[0].size(), 199u);
}

TEST(Fingerprint, LabelOnAnotherGridIsAnError) {
  const Volume image = ramp(1.0f);
  Volume small;
  small.data = at::ones({1, 1, 5, 20}, at::kByte);
  EXPECT_THROW(fingerprint_case("a", image, &small, {}), unetx::Error);
}

TEST(Fingerprint, MedianOfEvenAndOddCounts) {
  EXPECT_DOUBLE_EQ(median({3, 1, 2}), 2.0);
  EXPECT_DOUBLE_EQ(median({4, 1, 3, 2}), 2.5);
  EXPECT_THROW(median({}), unetx::Error);
}
