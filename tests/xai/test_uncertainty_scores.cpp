// Sample variance, volume variation, the predicted structure's boundary and the per-case scores
// of one uncertainty map, against values worked out by hand.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "io/error.h"
#include "xai/uncertainty.h"
#include "xai/uncertainty_scores.h"

namespace unetx::xai {
namespace {

TEST(SampleStatistics, VarianceAndEntropyMatchHandValues) {
  // One voxel, samples [.8, .2] and [.4, .6]: mean [.6, .4]; each class varies by +-.2, so the
  // population variance is .04 for both classes and their mean.
  std::vector<at::Tensor> samples = {torch::tensor({0.8f, 0.2f}).view({2, 1}),
                                     torch::tensor({0.4f, 0.6f}).view({2, 1})};
  size_t next = 0;
  const SampleStatistics r = sample_statistics([&] { return samples.at(next++); }, 2);
  EXPECT_NEAR(r.variance.item<float>(), 0.04, 1e-6);
  EXPECT_NEAR(r.entropy.item<float>(), -(0.6 * std::log(0.6) + 0.4 * std::log(0.4)), 1e-6);
  EXPECT_EQ(r.foreground_voxels, (std::vector<double>{0, 1}));  // argmax 0, then argmax 1
}

TEST(VolumeCv, PopulationStdOverMean) {
  // mean 20, deviations -10, 0, 10: std sqrt(200 / 3).
  EXPECT_NEAR(volume_cv({10, 20, 30}), std::sqrt(200.0 / 3.0) / 20.0, 1e-12);
  EXPECT_DOUBLE_EQ(volume_cv({42}), 0.0);  // a single pass does not vary
  EXPECT_DOUBLE_EQ(volume_cv({0, 0, 0}), 0.0);
  EXPECT_DOUBLE_EQ(foreground_voxels(torch::tensor({0.2f, 0.7f, 0.5f}).view({1, 3})), 2.0);
}

TEST(BoundaryMask, SegmentVoxelsWithABackgroundFaceNeighbour) {
  // A 3x3x3 cube inside a 5x5x5 volume: every cube voxel but the centre touches background.
  at::Tensor labels = at::zeros({5, 5, 5}, at::kByte);
  labels.slice(0, 1, 4).slice(1, 1, 4).slice(2, 1, 4).fill_(1);
  const at::Tensor b = boundary_mask(labels);
  EXPECT_EQ(b.sum().item<int64_t>(), 26);
  EXPECT_FALSE(b[2][2][2].item<bool>());
  // The edge of the volume is not background: a full volume has no boundary.
  EXPECT_EQ(boundary_mask(at::ones({3, 3, 3}, at::kByte)).sum().item<int64_t>(), 0);
}

TEST(ScoreCase, MatchesAHandWorkedSlice) {
  // One slice, 3x3. Foreground probability q; prediction q > .5; reference differs at (2,0)
  // (missed) and (2,2) (false positive).
  const at::Tensor q =
      torch::tensor({0.1f, 0.2f, 0.3f, 0.4f, 0.9f, 0.8f, 0.3f, 0.7f, 0.6f}).view({1, 3, 3});
  CaseScoreInputs in;
  in.probs = at::stack({1 - q, q});
  in.labels = q.gt(0.5).to(at::kByte);
  in.reference = torch::tensor({0, 0, 0, 0, 1, 1, 1, 1, 0}, at::kByte).view({1, 3, 3});
  in.uncertainty = at::arange(9, at::kFloat).view({1, 3, 3});
  in.foreground_voxels = {4, 4};
  in.ece_bins = 2;
  const CaseScores s = score_case(in);
  EXPECT_DOUBLE_EQ(s.mean, 4.0);
  EXPECT_DOUBLE_EQ(s.inside, (4 + 5 + 7 + 8) / 4.0);
  // Boundary: (1,1), (1,2), (2,1) touch background in-plane; (2,2) only touches foreground.
  EXPECT_DOUBLE_EQ(s.boundary, (4 + 5 + 7) / 3.0);
  EXPECT_DOUBLE_EQ(s.volume_cv, 0.0);
  EXPECT_EQ(s.error_voxels, 2);
  EXPECT_DOUBLE_EQ(s.dice, 2.0 * 3 / (4 + 4));
  // Errors have uncertainty 6 and 8; the 7 others 0..5 and 7: (6 + 7) of 14 pairs won.
  EXPECT_DOUBLE_EQ(s.auroc, 13.0 / 14.0);
  // All confidences (.9 .8 .7 .6 .9 .8 .7 .7 .6, sum 6.7) fall in bin [.5, 1]; 7 of 9 correct.
  EXPECT_NEAR(s.ece, std::abs(7.0 / 9.0 - 6.7 / 9.0), 1e-6);
}

TEST(ScoreCase, WithoutReferenceOrStructureScoresAreNaN) {
  CaseScoreInputs in;
  in.probs = at::stack({at::ones({1, 2, 2}), at::zeros({1, 2, 2})});
  in.labels = at::zeros({1, 2, 2}, at::kByte);
  in.uncertainty = at::ones({1, 2, 2});
  const CaseScores s = score_case(in);
  EXPECT_DOUBLE_EQ(s.mean, 1.0);
  EXPECT_TRUE(std::isnan(s.inside));
  EXPECT_TRUE(std::isnan(s.boundary));
  EXPECT_TRUE(std::isnan(s.dice));
  EXPECT_EQ(s.error_voxels, -1);
  in.reference = at::zeros({1, 3, 2}, at::kByte);
  EXPECT_THROW(score_case(in), Error);
}

}  // namespace
}  // namespace unetx::xai
