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

namespace unetx::xai {
namespace {

TEST(BorderRegion, HandDrawnSquareKeepsItsOutlineOnly2D) {
  // A 4x4 square in a 6x6 image: its 12 outline voxels touch the background, its 2x2 core not.
  at::Tensor r = at::zeros({1, 6, 6}, at::kBool);
  r.slice(1, 1, 5).slice(2, 1, 5).fill_(true);
  at::Tensor expected = r.clone();
  expected.slice(1, 2, 4).slice(2, 2, 4).fill_(false);
  const at::Tensor b = border_region(r);
  EXPECT_EQ(b.scalar_type(), at::kBool);
  EXPECT_TRUE(at::equal(b, expected));
  EXPECT_EQ(b.sum().item<int64_t>(), 12);
}

TEST(BorderRegion, UsesFaceNeighboursOnlyAndIgnoresTheImageEdge) {
  // A segment touching the image edge (rows are y):
  //   1 1 1 0        border: (0,2), (1,2) and (2,1), the voxels with a background voxel to
  //   1 1 1 0        their right. (0,0), (0,1), (1,0), (2,0) have only segment or off-image
  //   1 1 0 0        face neighbours; (1,1) has a diagonal background neighbour (2,2) only.
  const at::Tensor r = torch::tensor({1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 0}).view({1, 3, 4});
  const at::Tensor expected = torch::tensor({0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0}).view({1, 3, 4});
  EXPECT_TRUE(at::equal(border_region(r), expected.to(at::kBool)));
}

TEST(BorderRegion, SixNeighboursIn3D) {
  // A 3x3x3 cube inside 5x5x5: 27 - 1 (the centre) = 26 border voxels.
  at::Tensor r = at::zeros({1, 5, 5, 5}, at::kBool);
  r.slice(1, 1, 4).slice(2, 1, 4).slice(3, 1, 4).fill_(true);
  const at::Tensor b = border_region(r);
  EXPECT_EQ(b.sum().item<int64_t>(), 26);
  EXPECT_FALSE(b[0][2][2][2].item<bool>());
  EXPECT_TRUE(b[0][1][2][2].item<bool>());
}

TEST(SampleScores, SumAndMeanPerSample) {
  // Two samples of the 2x2 logits; regions of 3 and 0 voxels.
  const at::Tensor logits = at::cat({sample_logits(), sample_logits() * 2}, 0);
  at::Tensor region = at::zeros({2, 2, 2}, at::kBool);
  region[0] = torch::tensor({true, false, true, true}).view({2, 2});
  const at::Tensor sum = sample_scores(logits, 1, region, Reduce::sum);
  EXPECT_FLOAT_EQ(sum[0].item<float>(), 3.5f);  // -1 + 4 + 0.5
  EXPECT_FLOAT_EQ(sum[1].item<float>(), 0.0f);
  const at::Tensor mean = sample_scores(logits, 1, region, Reduce::mean);
  EXPECT_FLOAT_EQ(mean[0].item<float>(), 3.5f / 3.0f);
  EXPECT_FLOAT_EQ(mean[1].item<float>(), 0.0f);
}

TEST(ParseTarget, ReadsEveryKindAndRejectsTheRest) {
  EXPECT_EQ(parse_target("predicted").kind, TargetKind::predicted);
  EXPECT_EQ(parse_target("border").kind, TargetKind::border);
  const TargetSpec m = parse_target("mask:masks/{case_id}_roi.nii.gz");
  EXPECT_EQ(m.kind, TargetKind::mask);
  EXPECT_EQ(target_mask_file(m, "c7").string(), "masks/c7_roi.nii.gz");
  const TargetSpec b = parse_target("box:1,2,3,4,5,6");
  EXPECT_EQ(b.kind, TargetKind::box);
  EXPECT_EQ(b.box, (std::array<int64_t, 6>{1, 2, 3, 4, 5, 6}));
  EXPECT_THROW(parse_target("box:1,2,3,4,5"), Error);
  EXPECT_THROW(parse_target("box:1,2,3,1,5,6"), Error);
  EXPECT_THROW(parse_target("box:1,2,x,4,5,6"), Error);
  EXPECT_THROW(parse_target("mask:"), Error);
  EXPECT_THROW(parse_target("everything"), Error);
  EXPECT_EQ(parse_reduce("mean"), Reduce::mean);
  EXPECT_THROW(parse_reduce("max"), Error);
}

}  // namespace
}  // namespace unetx::xai
