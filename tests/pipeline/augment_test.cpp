// Augmentation against exact expectations: resampling with an identity or quarter-turn transform
// against the array itself and at::rot90, a zoom of a linear ramp against the ramp's formula,
// the Gaussian blur against its closed-form kernel, and the intensity maps against their
// definitions.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "pipeline/augment.h"
#include "pipeline/patch_sampler.h"
#include "pipeline/spatial_augment.h"

namespace unetx::pipeline {
namespace {

at::Tensor random_image(int64_t z, int64_t y, int64_t x) {
  at::manual_seed(1);
  return at::rand({2, z, y, x});
}

TEST(SpatialAugment, IdentityTransformReadsTheCaseItself) {
  const at::Tensor image = random_image(6, 7, 8);
  const at::Tensor label = (image[0] > 0.5).to(at::kLong).unsqueeze(0);
  // Centre of the whole volume, patch = volume: every voxel samples itself.
  const at::Tensor coords = sampling_coordinates({2.5, 3.0, 3.5}, {6, 7, 8}, {}, 3);
  const auto [img, lab] = resample_patch(image, label, coords);
  EXPECT_TRUE(at::allclose(img, image, 1e-5, 1e-6));
  EXPECT_TRUE(at::equal(lab, label[0]));
}

TEST(SpatialAugment, QuarterTurnAboutZEqualsRot90) {
  const at::Tensor image = random_image(3, 7, 7);
  const at::Tensor label = at::randint(0, 3, {1, 3, 7, 7}, at::kLong);
  SpatialTransform t;
  t.angles_zyx = {M_PI / 2, 0, 0};
  const auto [img, lab] = resample_patch(image, label, sampling_coordinates({1, 3, 3}, {3, 7, 7}, t, 3));
  // Output offset (x, y) reads input offset (-y, x): out[y][x] = in[x][-y], which is
  // numpy/ATen rot90 by one quarter turn from the y axis towards the x axis.
  const at::Tensor expected_img = at::rot90(image, 1, {2, 3});
  EXPECT_TRUE(at::allclose(img, expected_img, 1e-4, 1e-5));
  EXPECT_TRUE(at::equal(lab, at::rot90(label[0], 1, {1, 2})));
}

TEST(SpatialAugment, ZoomOfALinearRampFollowsTheRamp) {
  // value = x on a 1 x 1 x 17 line; zoom 2 about x = 8 reads x' = 8 + (o - 8) / 2.
  const at::Tensor image = at::arange(17, at::kFloat).view({1, 1, 1, 17});
  const at::Tensor label = at::zeros({1, 1, 1, 17}, at::kLong);
  SpatialTransform t;
  t.scale = 2.0;
  const auto [img, lab] = resample_patch(image, label, sampling_coordinates({0, 0, 8}, {1, 1, 17}, t, 3));
  for (int64_t o = 0; o < 17; ++o) {
    EXPECT_NEAR(img[0][0][0][o].item<float>(), 8.0 + (o - 8) / 2.0, 1e-4) << o;
  }
}

TEST(SpatialAugment, ElasticFieldIsReproducibleAndOfTheAskedSize) {
  SpatialTransform t;
  t.elastic_alpha = 2.0;
  t.elastic_sigma = 3.0;
  t.elastic_seed = 42;
  const at::Tensor a = sampling_coordinates({8, 8, 8}, {16, 16, 16}, t, 3);
  const at::Tensor b = sampling_coordinates({8, 8, 8}, {16, 16, 16}, t, 3);
  EXPECT_TRUE(at::equal(a, b));
  const at::Tensor displacement = a - sampling_coordinates({8, 8, 8}, {16, 16, 16}, {}, 3);
  EXPECT_NEAR(displacement.std().item<double>(), 2.0, 0.05);  // normalised to alpha
}

TEST(GaussianBlur, ImpulseResponseIsTheNormalisedGaussian) {
  at::Tensor x = at::zeros({1, 21});
  x[0][10] = 1;
  const double sigma = 1.5;
  const at::Tensor y = gaussian_blur(x, {sigma});
  double norm = 0;
  for (int i = -5; i <= 5; ++i) norm += std::exp(-i * i / (2 * sigma * sigma));  // radius ceil(4.5)
  for (int i = -5; i <= 5; ++i) {
    EXPECT_NEAR(y[0][10 + i].item<double>(), std::exp(-i * i / (2 * sigma * sigma)) / norm, 1e-6);
  }
  EXPECT_NEAR(y.sum().item<double>(), 1.0, 1e-6);
}

TEST(IntensityAugment, BrightnessContrastGammaFollowTheirDefinitions) {
  const at::Tensor x = at::tensor({0.0f, 1.0f, 2.0f, 5.0f}).view({1, 4});
  EXPECT_TRUE(at::allclose(adjust_brightness(x, 1.5), x * 1.5));
  // mean 2: 2 + (x - 2) * 1.2 = -0.4, 0.8, 2, 5.6 -> clipped to [0, 5].
  EXPECT_TRUE(at::allclose(adjust_contrast(x, 1.2), at::tensor({0.0f, 0.8f, 2.0f, 5.0f}).view({1, 4})));
  // range [0, 5]: (x / 5)^2 * 5 = 0, 0.2, 0.8, 5.
  EXPECT_TRUE(at::allclose(adjust_gamma(x, 2.0), at::tensor({0.0f, 0.2f, 0.8f, 5.0f}).view({1, 4})));
  EXPECT_TRUE(at::allclose(adjust_gamma(x, 1.0), x));
}

TEST(Augmenter, SameSeedSamePatchesDifferentSeedDifferentPatches) {
  const at::Tensor image = random_image(12, 12, 12);
  const at::Tensor label = (image.narrow(0, 0, 1) > 0.7).to(at::kByte);
  PatchSamplerOptions o;
  o.patch_xyz = {8, 8, 8};
  o.augment = AugmentOptions::preset("heavy");
  o.augment.p_rotation = o.augment.p_scale = o.augment.p_elastic = o.augment.p_noise = 1.0;
  PatchSampler a(o, 9), b(o, 9), c(o, 10);
  const auto [ia, la] = a.sample(image, label);
  const auto [ib, lb] = b.sample(image, label);
  const auto [ic, lc] = c.sample(image, label);
  EXPECT_TRUE(at::equal(ia, ib));
  EXPECT_TRUE(at::equal(la, lb));
  EXPECT_FALSE(at::equal(ia, ic));
  // Nearest-neighbour labels never invent a class.
  EXPECT_TRUE(((la == 0) | (la == 1)).all().item<bool>());
}

TEST(Augmenter, PresetsAndTheirNames) {
  EXPECT_FALSE(AugmentOptions::preset("none").flips);
  EXPECT_EQ(AugmentOptions::preset("flips").p_rotation, 0.0);
  EXPECT_GT(AugmentOptions::preset("standard").p_gamma, 0.0);
  EXPECT_EQ(AugmentOptions::preset("standard").p_elastic, 0.0);
  EXPECT_GT(AugmentOptions::preset("heavy").p_elastic, 0.0);
  EXPECT_THROW(AugmentOptions::preset("wild"), std::invalid_argument);
}

}  // namespace
}  // namespace unetx::pipeline
