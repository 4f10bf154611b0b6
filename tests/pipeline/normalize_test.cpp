// The normalization schemes a plan names, on tensors whose results are known by hand.
#include "pipeline/normalize.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace unetx::pipeline;

namespace {

void expect_values(const at::Tensor& t, const std::vector<double>& want, double tol = 1e-6) {
  const at::Tensor flat = t.to(at::kDouble).contiguous().view(-1);
  ASSERT_EQ(flat.numel(), static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(flat[static_cast<int64_t>(i)].item<double>(), want[i], tol) << "voxel " << i;
}

}  // namespace

TEST(NormalizeCt, ClipsToThePercentilesThenUsesTheDatasetMeanAndStd) {
  const auto x = at::tensor({-1000.0, 0.0, 50.0, 100.0, 3000.0});
  ChannelNormalization n;
  n.scheme = "ct";
  n.clip_low = -100;
  n.clip_high = 200;
  n.mean = 50;
  n.std = 25;
  // clip: -100, 0, 50, 100, 200; (x - 50) / 25.
  const auto y = normalize_ct(x, n);
  EXPECT_EQ(y.scalar_type(), at::kFloat);
  expect_values(y, {-6, -2, 0, 2, 6});
}

TEST(NormalizeZscore, NonzeroVariantUsesOnlyTheRegionAndZeroesTheRest) {
  const auto x = at::tensor({0.0, 0.0, 2.0, 4.0, 6.0});
  // Inside {2, 4, 6}: mean 4, population std sqrt(8/3).
  const double s = std::sqrt(8.0 / 3.0);
  expect_values(zscore_masked(x, x.ne(0)), {0, 0, -2 / s, 0, 2 / s});
  expect_values(zscore_masked(x, at::zeros({5}, at::kBool)), {0, 0, 0, 0, 0});
}

TEST(NormalizeChannels, EachChannelGetsItsPlanScheme) {
  Plan plan;
  plan.in_channels = 3;
  ChannelNormalization ct;
  ct.scheme = "ct";
  ct.clip_low = 0;
  ct.clip_high = 10;
  ct.mean = 5;
  ct.std = 5;
  ChannelNormalization nz;
  nz.scheme = "zscore_nonzero";
  plan.channel_normalization = {ct, ChannelNormalization{}, nz};
  // (3, 1, 1, 4): channel 0 CT, channel 1 z-score over all, channel 2 z-score over nonzero.
  const auto x = at::tensor({-5.0, 0.0, 10.0, 20.0,  //
                             1.0, 2.0, 3.0, 4.0,     //
                             0.0, 1.0, 3.0, 0.0})
                     .view({3, 1, 1, 4});
  const auto nonzero = x.ne(0).any(0);
  const auto y = normalize_channels(x, plan, nonzero);  // nonzero: all but none here
  expect_values(y[0], {-1, -1, 1, 1});
  const double s = std::sqrt(1.25);  // {1, 2, 3, 4}: mean 2.5, population variance 1.25
  expect_values(y[1], {-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s});
  // Channel 2 inside the (any-channel) nonzero region = every voxel: mean 1, std sqrt(1.5).
  const double t = std::sqrt(1.5);
  expect_values(y[2], {-1 / t, 0, 2 / t, -1 / t});
  EXPECT_TRUE(needs_nonzero_mask(plan));
  plan.channel_normalization.clear();
  EXPECT_FALSE(needs_nonzero_mask(plan));
}
