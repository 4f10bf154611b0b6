#include "pipeline/patch_sampler.h"

#include <gtest/gtest.h>

#include <set>

#include "io/error.h"

using namespace unetx::pipeline;

namespace {

// A case whose image is exactly (label > 0) plus a per-voxel ramp below 0.5, so that
// (image > 0.5) == label holds for any crop and flip, and positions are recognisable.
PreparedCase blob_case(const std::string& id, int64_t z, int64_t y, int64_t x) {
  PreparedCase c;
  c.id = id;
  c.label = at::zeros({1, z, y, x}, at::kByte);
  c.label.slice(1, z / 2, z / 2 + 2).slice(2, 1, 3).slice(3, x - 3, x - 1).fill_(1);
  const auto ramp = at::arange(z * y * x, at::kFloat).view({1, z, y, x}) / (2.0 * z * y * x);
  c.image = c.label.to(at::kFloat) + ramp;
  return c;
}

}  // namespace

TEST(PatchSampler, ShapesAndDtypes3d) {
  const auto c = blob_case("a", 20, 18, 16);
  PatchSampler s({{8, 6, 4}, 0.33, AugmentOptions::preset("flips"), 3}, 1);
  const auto [img, lab] = s.batch({&c}, 3);
  EXPECT_EQ(img.sizes(), (at::IntArrayRef{3, 1, 4, 6, 8}));
  EXPECT_EQ(lab.sizes(), (at::IntArrayRef{3, 4, 6, 8}));
  EXPECT_EQ(img.scalar_type(), at::kFloat);
  EXPECT_EQ(lab.scalar_type(), at::kLong);
}

TEST(PatchSampler, ShapesAndDtypes2d) {
  const auto c = blob_case("a", 5, 18, 16);
  PatchSampler s({{8, 6, 1}, 0.5, AugmentOptions::preset("flips"), 2}, 1);
  const auto [img, lab] = s.batch({&c}, 4);
  EXPECT_EQ(img.sizes(), (at::IntArrayRef{4, 1, 6, 8}));
  EXPECT_EQ(lab.sizes(), (at::IntArrayRef{4, 6, 8}));
  EXPECT_THROW(PatchSampler({{8, 6, 2}, 0.5, AugmentOptions::preset("flips"), 2}, 1), unetx::Error);
}

TEST(PatchSampler, SameSeedSamePatchesOtherSeedOtherPatches) {
  const auto c = blob_case("a", 20, 18, 16);
  const auto d = blob_case("b", 12, 30, 10);
  PatchSamplerOptions o{{8, 6, 4}, 0.33, AugmentOptions::preset("flips"), 3};
  PatchSampler s1(o, 42), s2(o, 42), s3(o, 43);
  bool any_different = false;
  for (int i = 0; i < 5; ++i) {
    const auto [i1, l1] = s1.batch({&c, &d}, 2);
    const auto [i2, l2] = s2.batch({&c, &d}, 2);
    const auto [i3, l3] = s3.batch({&c, &d}, 2);
    EXPECT_TRUE(at::equal(i1, i2));
    EXPECT_TRUE(at::equal(l1, l2));
    any_different = any_different || !at::equal(i1, i3);
  }
  EXPECT_TRUE(any_different);
}

TEST(PatchSampler, ForegroundFractionOneAlwaysContainsForeground) {
  const auto c = blob_case("a", 40, 40, 40);  // 8 foreground voxels in 64000
  for (int dims : {3, 2}) {
    PatchSampler s({{8, 8, dims == 3 ? 8 : 1}, 1.0, AugmentOptions::preset("flips"), dims}, 7);
    for (int i = 0; i < 20; ++i) {
      const auto [img, lab] = s.sample(c.image, c.label);
      EXPECT_GT(lab.sum().item<int64_t>(), 0) << "dims " << dims;
    }
  }
}

TEST(PatchSampler, FlipsKeepImageAndLabelTogether) {
  const auto c = blob_case("a", 12, 10, 9);
  PatchSampler s({{6, 6, 6}, 0.5, AugmentOptions::preset("flips"), 3}, 11);
  for (int i = 0; i < 30; ++i) {
    const auto [img, lab] = s.sample(c.image, c.label);
    // Outside the image both are zero-padded, inside image > 0.5 exactly where label is 1.
    EXPECT_TRUE(at::equal(img[0].gt(0.5).to(at::kLong), lab));
  }
}

TEST(PatchSampler, FlipsAreDrawnPerAxis) {
  // Patch = whole image: every draw is the image flipped along some subset of the axes.
  const auto image = at::arange(4 * 5 * 6, at::kFloat).view({1, 4, 5, 6});
  const auto label = at::zeros({1, 4, 5, 6}, at::kByte);
  PatchSampler s({{6, 5, 4}, 0.0, AugmentOptions::preset("flips"), 3}, 3);
  std::set<int> seen;
  for (int i = 0; i < 64; ++i) {
    const auto img = s.sample(image, label).first;
    int found = -1;
    for (int mask = 0; mask < 8; ++mask) {
      std::vector<int64_t> dims;
      for (int d = 0; d < 3; ++d) {
        if (mask & (1 << d)) dims.push_back(d + 1);
      }
      if (at::equal(img, dims.empty() ? image : image.flip(dims))) found = mask;
    }
    ASSERT_GE(found, 0);
    seen.insert(found);
  }
  EXPECT_EQ(seen.size(), 8u);
}

TEST(PatchSampler, SmallImagesArePaddedWithZeros) {
  const auto c = blob_case("a", 3, 4, 5);
  PatchSampler s({{8, 8, 8}, 0.0, AugmentOptions::preset("none"), 3}, 5);
  const auto [img, lab] = s.sample(c.image, c.label);
  EXPECT_EQ(img.sizes(), (at::IntArrayRef{1, 8, 8, 8}));
  // The whole image is inside the patch: same sum, same number of labelled voxels.
  EXPECT_NEAR(img.sum().item<double>(), c.image.sum().item<double>(), 1e-4);
  EXPECT_EQ(lab.sum().item<int64_t>(), c.label.sum().item<int64_t>());
  EXPECT_EQ(img.ne(0).sum().item<int64_t>(), 3 * 4 * 5 - 1);  // ramp is 0 at voxel 0 only
}

TEST(PatchSampler, CaseWithoutLabelIsNamed) {
  PreparedCase c = blob_case("no-label-case", 4, 4, 4);
  c.label = at::Tensor();
  PatchSampler s({{4, 4, 4}, 0.5, AugmentOptions::preset("flips"), 3}, 5);
  try {
    s.batch({&c}, 1);
    FAIL() << "expected an error";
  } catch (const unetx::Error& e) {
    EXPECT_EQ(e.subject(), "no-label-case");
  }
}
