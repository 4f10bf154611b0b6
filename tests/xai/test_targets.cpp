#include <gtest/gtest.h>
#include <torch/torch.h>

#include "io/error.h"
#include "xai/targets.h"

namespace unetx::xai {
namespace {

// (B=1, K=2, 2, 2): class 1 wins at (0,1) and (1,0).
at::Tensor sample_logits() {
  return torch::tensor({0.0, 1.0, 5.0, 2.0,  //
                        -1.0, 3.0, 4.0, 0.5})
      .view({1, 2, 2, 2});
}

TEST(PredictedRegion, IsTheArgmaxOfTheClass) {
  const at::Tensor r = predicted_region(sample_logits(), 1);
  EXPECT_EQ(r.scalar_type(), at::kBool);
  EXPECT_TRUE(at::equal(r, torch::tensor({false, true, false, false}).view({1, 2, 2})));
  EXPECT_TRUE(at::equal(predicted_region(sample_logits(), 0), r.logical_not()));
}

TEST(RegionScore, DefaultsToTheTargetLogitSummedOverThePredictedRegion) {
  EXPECT_FLOAT_EQ(region_score(sample_logits(), 1).item<float>(), 3.0f);
  EXPECT_FLOAT_EQ(region_score(sample_logits(), 0).item<float>(), 0.0f + 5.0f + 2.0f);
}

TEST(RegionScore, UsesAnExplicitRegionOfZerosAndOnes) {
  const at::Tensor region = torch::tensor({1, 0, 1, 1}).view({1, 2, 2});
  EXPECT_FLOAT_EQ(region_score(sample_logits(), 1, region).item<float>(), -1.0f + 4.0f + 0.5f);
}

TEST(RegionScore, EmptyRegionScoresZeroWithZeroGradient) {
  const at::Tensor logits = sample_logits().requires_grad_(true);
  const at::Tensor score = region_score(logits, 1, at::zeros({1, 2, 2}, at::kBool));
  EXPECT_EQ(score.item<float>(), 0.0f);
  const at::Tensor g = torch::autograd::grad({score}, {logits})[0];
  EXPECT_EQ(g.abs().max().item<float>(), 0.0f);
}

TEST(RegionScore, GradientIsTheRegionOnTheTargetChannel) {
  const at::Tensor logits = sample_logits().requires_grad_(true);
  const at::Tensor g = torch::autograd::grad({region_score(logits, 1)}, {logits})[0];
  EXPECT_EQ(g[0][0].abs().max().item<float>(), 0.0f);
  EXPECT_TRUE(at::equal(g[0][1], torch::tensor({0.0f, 1.0f, 0.0f, 0.0f}).view({2, 2})));
}

TEST(RegionScore, RejectsAClassOutOfRangeAndAMisshapenRegion) {
  EXPECT_THROW(region_score(sample_logits(), 2), Error);
  EXPECT_THROW(predicted_region(sample_logits(), -1), Error);
  EXPECT_THROW(region_score(sample_logits(), 1, at::ones({2, 2})), Error);
}

}  // namespace
}  // namespace unetx::xai
