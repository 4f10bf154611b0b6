#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "io/error.h"
#include "pipeline/case_prep.h"
#include "pipeline/metrics.h"
#include "pipeline/resample.h"
#include "pipeline/synth.h"

using namespace unetx::pipeline;

namespace {

double det3(const std::array<double, 9>& m) {
  return m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
         m[2] * (m[3] * m[7] - m[4] * m[6]);
}

Plan plan_for(int labels, std::array<double, 3> spacing) {
  Plan p;
  p.target_spacing = spacing;
  p.labels = {"background"};
  for (int k = 1; k <= labels; ++k) p.labels.push_back("class" + std::to_string(k));
  return p;
}

}  // namespace

TEST(Synth, DeterministicInSeedAndIndex) {
  SynthOptions o;
  o.size_xyz = {24, 20, 16};
  o.labels = 2;
  o.seed = 9;
  const auto [a_img, a_lab] = make_phantom(o, 3);
  const auto [b_img, b_lab] = make_phantom(o, 3);
  EXPECT_TRUE(at::equal(a_img.data, b_img.data));
  EXPECT_TRUE(at::equal(a_lab.data, b_lab.data));
  EXPECT_EQ(a_img.geometry.spacing, b_img.geometry.spacing);
  EXPECT_EQ(a_img.geometry.direction, b_img.geometry.direction);
  const auto [c_img, c_lab] = make_phantom(o, 4);
  EXPECT_FALSE(at::equal(a_img.data, c_img.data));
  EXPECT_NE(a_img.geometry.origin, c_img.geometry.origin);
}

TEST(Synth, RandomGeometryIsAProperRotationWithAnisotropicSpacing) {
  SynthOptions o;
  o.size_xyz = {16, 16, 16};
  for (int i = 0; i < 5; ++i) {
    const auto [img, lab] = make_phantom(o, i);
    const auto& d = img.geometry.direction;
    EXPECT_NEAR(det3(d), 1.0, 1e-9);
    for (int a = 0; a < 3; ++a) {
      for (int b = 0; b < 3; ++b) {  // columns orthonormal
        const double dot = d[a] * d[b] + d[3 + a] * d[3 + b] + d[6 + a] * d[6 + b];
        EXPECT_NEAR(dot, a == b ? 1.0 : 0.0, 1e-9);
      }
      EXPECT_GE(img.geometry.spacing[a], 0.8);
      EXPECT_LE(img.geometry.spacing[a], 2.0);
    }
    EXPECT_TRUE(img.geometry.same_as(lab.geometry));
  }
  o.random_geometry = false;
  const auto [img, lab] = make_phantom(o, 0);
  EXPECT_EQ(img.geometry.spacing, (std::array<double, 3>{1, 1, 1}));
}

TEST(Synth, LabelsAndIntensitiesAreConsistent) {
  SynthOptions o;
  o.labels = 3;
  o.noise = 0.05;
  for (int i = 0; i < 3; ++i) {
    const auto [img, lab] = make_phantom(o, i);
    EXPECT_EQ(img.data.sizes(), (at::IntArrayRef{1, 48, 64, 64}));
    EXPECT_EQ(img.data.scalar_type(), at::kFloat);
    EXPECT_EQ(lab.data.scalar_type(), at::kByte);
    EXPECT_EQ(lab.data.max().item<int>(), 3);
    double previous = img.data.masked_select(lab.data.eq(0)).mean().item<double>();
    for (int k = 1; k <= 3; ++k) {
      const auto mask = lab.data.eq(k);
      ASSERT_GT(mask.sum().item<int64_t>(), 0) << "case " << i << " label " << k;
      const double mean = img.data.masked_select(mask).mean().item<double>();
      EXPECT_GT(mean, previous + 0.2) << "case " << i << " label " << k;
      previous = mean;
    }
  }
}

// Perfect "probabilities" on the plan grid (one-hot of the prepared label) brought back to the
// original grid: what is lost is only the resolution of the plan grid.
static std::vector<double> round_trip_dice(const unetx::io::Volume& img,
                                           const unetx::io::Volume& lab, double spacing) {
  const Plan plan = plan_for(2, {spacing, spacing, spacing});
  const auto pc = prepare_case("c", img, &lab, plan);
  const auto probs = at::one_hot(pc.label[0].to(at::kLong), 3).permute({3, 0, 1, 2}).to(at::kFloat);
  const auto mask = labels_volume(restore_to_original(probs, pc), pc.original_geometry);
  EXPECT_EQ(mask.data.sizes(), lab.data.sizes());
  EXPECT_EQ(mask.data.scalar_type(), at::kByte);
  EXPECT_TRUE(mask.geometry.same_as(lab.geometry));
  return dice_per_class(mask.data, lab.data, 3);
}

TEST(CasePrep, PrepareAndRestoreRoundTripOnAPhantom) {
  SynthOptions o;
  o.labels = 2;
  for (int i = 0; i < 3; ++i) {
    const auto [img, lab] = make_phantom(o, i);
    const auto pc = prepare_case("case", img, &lab, plan_for(2, {1.25, 1.25, 1.25}));
    const auto expected_size = resampled_size(img.size(), img.geometry.spacing, {1.25, 1.25, 1.25});
    EXPECT_EQ(pc.image.sizes(),
              (at::IntArrayRef{1, expected_size[2], expected_size[1], expected_size[0]}));
    EXPECT_EQ(pc.label.sizes().slice(1), pc.image.sizes().slice(1));
    EXPECT_EQ(pc.label.scalar_type(), at::kByte);
    EXPECT_NEAR(pc.image.mean().item<double>(), 0.0, 1e-4);
    EXPECT_NEAR(pc.image.std(false).item<double>(), 1.0, 1e-4);
    EXPECT_EQ(pc.geometry.spacing, (std::array<double, 3>{1.25, 1.25, 1.25}));
    EXPECT_EQ(pc.geometry.origin, img.geometry.origin);
    EXPECT_EQ(pc.original_size, img.size());

    // Phantom spacings are 0.8 .. 2 mm: a 1.25 mm plan grid coarsens some axes.
    for (double d : round_trip_dice(img, lab, 1.25)) EXPECT_GT(d, 0.95) << "case " << i;
    // A 0.75 mm plan grid is finer than every axis: nearly lossless, so no shift anywhere.
    for (double d : round_trip_dice(img, lab, 0.75)) EXPECT_GT(d, 0.99) << "case " << i;

    const auto map = map_to_original(pc.image, pc);
    EXPECT_EQ(map.data.sizes(), img.data.sizes());
    EXPECT_EQ(map.data.scalar_type(), at::kFloat);
    EXPECT_TRUE(map.geometry.same_as(img.geometry));
  }
}

TEST(CasePrep, TwoDPlanKeepsTheSliceSpacing) {
  SynthOptions o;
  o.size_xyz = {20, 20, 7};
  const auto [img, lab] = make_phantom(o, 0);
  Plan plan = plan_for(1, {1.0, 1.0, 5.0});
  plan.spatial_dims = 2;
  plan.patch_size = {16, 16, 1};
  const auto pc = prepare_case("c", img, &lab, plan);
  EXPECT_EQ(pc.image.size(1), 7);
  EXPECT_EQ(pc.geometry.spacing[2], img.geometry.spacing[2]);
}

TEST(CasePrep, LabelOnAnotherGridIsRefusedNamingCaseAndDifference) {
  SynthOptions o;
  o.size_xyz = {16, 16, 8};
  auto [img, lab] = make_phantom(o, 0);
  const Plan plan = plan_for(1, {1, 1, 1});
  auto moved = lab;
  moved.geometry.origin[1] += 5.0;
  try {
    prepare_case("patient-17", img, &moved, plan);
    FAIL() << "expected an error";
  } catch (const unetx::Error& e) {
    EXPECT_EQ(e.subject(), "patient-17");
    EXPECT_NE(e.reason().find("label grid differs from image"), std::string::npos);
    EXPECT_NE(e.reason().find("origin"), std::string::npos);
    EXPECT_EQ(e.reason().find("spacing"), std::string::npos);
  }
  unetx::io::Volume cropped{lab.data.slice(3, 0, 15), lab.geometry, {}};
  try {
    prepare_case("patient-18", img, &cropped, plan);
    FAIL() << "expected an error";
  } catch (const unetx::Error& e) {
    EXPECT_EQ(e.subject(), "patient-18");
    EXPECT_NE(e.reason().find("size"), std::string::npos);
  }
}

TEST(CasePrep, LabelValuesOutsideThePlanAndWrongChannelsAreRefused) {
  SynthOptions o;
  o.size_xyz = {16, 16, 8};
  o.labels = 2;
  const auto [img, lab] = make_phantom(o, 0);
  EXPECT_THROW(prepare_case("c", img, &lab, plan_for(1, {1, 1, 1})), unetx::Error);
  Plan two_channels = plan_for(2, {1, 1, 1});
  two_channels.in_channels = 2;
  EXPECT_THROW(prepare_case("c", img, &lab, two_channels), unetx::Error);
  // No label is fine: the label stays undefined.
  EXPECT_FALSE(prepare_case("c", img, nullptr, plan_for(2, {1, 1, 1})).label.defined());
}
