#include <gtest/gtest.h>

#include "io/error.h"
#include "tests/xai/linear_head_model.h"
#include "xai/grad_cam.h"

namespace unetx::xai {
namespace {

using testing::LinearHeadModel;
using testing::sample_input;

// Class 0 has constant logit 2; class 1 has logit x0 - 0.5 x1. Stem is the identity, so
// features == x.
LinearHeadModel make_model(int dims = 2, int64_t pool = 1, double bias0 = 2.0) {
  return LinearHeadModel(at::eye(2), torch::tensor({{0.0, 0.0}, {1.0, -0.5}}),
                         torch::tensor({bias0, 0.0}), dims, pool);
}

// x0 = [[1,2,3],[4,5,6]], x1 = [[6,1,0],[2,0,3]]
//   logit1 = [[-2,1.5,3],[3,5,4.5]] vs 2 -> predicted class-1 region [[0,0,1],[1,1,1]]
//   dS/dA_k = w1k on the region: alpha = w1 * |R| / N = [1, -0.5] * 4/6 = [2/3, -1/3]
//   cam = ReLU((2 x0 - x1) / 3) = [[0, 1, 2], [2, 10/3, 3]]
const float kExpected[2][3] = {{0.0f, 1.0f, 2.0f}, {2.0f, 10.0f / 3.0f, 3.0f}};

void expect_cam_2x3(const at::Tensor& cam2d) {
  ASSERT_EQ(cam2d.sizes(), at::IntArrayRef({2, 3}));
  for (int y = 0; y < 2; ++y) {
    for (int x = 0; x < 3; ++x) {
      EXPECT_NEAR(cam2d[y][x].item<float>(), kExpected[y][x], 1e-5) << "y=" << y << " x=" << x;
    }
  }
}

TEST(GradCam, LinearHeadGivesClassWeightTimesRegionFraction) {
  auto model = make_model();
  const at::Tensor cam = grad_cam(model, sample_input(), "features", 1);
  ASSERT_EQ(cam.sizes(), at::IntArrayRef({1, 1, 2, 3}));
  EXPECT_EQ(cam.scalar_type(), at::kFloat);
  EXPECT_FALSE(cam.requires_grad());
  expect_cam_2x3(cam[0][0]);
}

TEST(GradCam, OnTheLogitsTapWeightsOnlyTheTargetClass) {
  // A = logits: alpha = onehot(1) * 4/6, cam = ReLU(2/3 logit1): the same numbers as above.
  auto model = make_model();
  expect_cam_2x3(grad_cam(model, sample_input(), "head", 1)[0][0]);
}

TEST(GradCam, SamplesOfABatchAreExplainedIndependently) {
  // Sample 1: x0 = 10, x1 = 0 -> all voxels class 1, alpha = [1, -0.5], cam = 10 everywhere.
  const at::Tensor second = at::cat({at::full({1, 1, 2, 3}, 10.0), at::zeros({1, 1, 2, 3})}, 1);
  auto model = make_model();
  const at::Tensor cam = grad_cam(model, at::cat({sample_input(), second}, 0), "features", 1);
  ASSERT_EQ(cam.sizes(), at::IntArrayRef({2, 1, 2, 3}));
  expect_cam_2x3(cam[0][0]);
  EXPECT_TRUE(at::allclose(cam[1], at::full({1, 2, 3}, 10.0f)));
}

TEST(GradCam, ThreeDimensionalModelGivesTheSameValues) {
  auto model = make_model(/*dims=*/3);
  const at::Tensor cam = grad_cam(model, sample_input().unsqueeze(2), "features", 1);
  ASSERT_EQ(cam.sizes(), at::IntArrayRef({1, 1, 1, 2, 3}));
  expect_cam_2x3(cam[0][0][0]);
}

TEST(GradCam, CoarseTapIsUpsampledBilinearlyWithoutAlignedCorners) {
  // x0 constant on 2x2 blocks [[1,2],[3,4]], x1 = 0, pool 2: A0 = [[1,2],[3,4]], A1 = 0.
  // With logit0 = 1.5 the class-1 region is the low-res cells [[0,1],[1,1]], each covering 4
  // voxels of the (nearest-upsampled) logits: dS/dA_k = 4 w1k on those cells,
  // alpha = mean over the 4 cells = w1 * 3 = [3, 0], cam_low = 3 A0 = [[3,6],[9,12]].
  const at::Tensor x0 = torch::tensor({1.0, 2.0, 3.0, 4.0})
                            .view({2, 2})
                            .repeat_interleave(2, 0)
                            .repeat_interleave(2, 1)
                            .view({1, 1, 4, 4});
  auto model = make_model(2, /*pool=*/2, /*bias0=*/1.5);
  const at::Tensor cam = grad_cam(model, at::cat({x0, at::zeros_like(x0)}, 1), "features", 1);
  ASSERT_EQ(cam.sizes(), at::IntArrayRef({1, 1, 4, 4}));
  // align_corners=false: output i samples input (i + 0.5) / 2 - 0.5, clamped to [0, 1].
  const double w[4][2] = {{1, 0}, {0.75, 0.25}, {0.25, 0.75}, {0, 1}};
  const double low[2][2] = {{3, 6}, {9, 12}};
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 4; ++x) {
      double expected = 0;
      for (int i = 0; i < 2; ++i) {
        for (int j = 0; j < 2; ++j) expected += w[y][i] * w[x][j] * low[i][j];
      }
      EXPECT_NEAR(cam[0][0][y][x].item<float>(), expected, 1e-5) << "y=" << y << " x=" << x;
    }
  }
  EXPECT_NEAR(cam[0][0][1][1].item<float>(), 5.25, 1e-5);
}

TEST(GradCam, ThreeDimensionalCoarseTapIsUpsampledToTheInputSize) {
  auto model = make_model(3, /*pool=*/2);
  const at::Tensor cam = grad_cam(model, at::rand({1, 2, 2, 4, 4}) * 10, "features", 1);
  EXPECT_EQ(cam.sizes(), at::IntArrayRef({1, 1, 2, 4, 4}));
  EXPECT_GE(cam.min().item<float>(), 0.0f);
}

TEST(GradCam, EmptyPredictedRegionGivesZeroMap) {
  auto model = make_model(2, 1, /*bias0=*/100.0);
  EXPECT_EQ(grad_cam(model, sample_input(), "features", 1).abs().max().item<float>(), 0.0f);
}

TEST(GradCam, LeavesNoGradientsOnParameters) {
  auto model = make_model();
  grad_cam(model, sample_input(), "features", 1);
  for (const auto& p : model.parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(GradCam, TapRecordingIsOffAfterwardsAlsoAfterAnError) {
  auto model = make_model();
  grad_cam(model, sample_input(), "features", 1);
  EXPECT_TRUE(model.taps().empty());
  model.forward(sample_input());
  EXPECT_TRUE(model.taps().empty());

  EXPECT_THROW(grad_cam(model, sample_input(), "features", /*target_class=*/5), Error);
  EXPECT_TRUE(model.taps().empty());
  model.forward(sample_input());
  EXPECT_TRUE(model.taps().empty());
}

TEST(GradCam, UnknownTapErrorNamesTheOptionAndListsTaps) {
  auto model = make_model();
  try {
    grad_cam(model, sample_input(), "decoder.9", 1);
    FAIL() << "expected unetx::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.subject(), "--layer decoder.9");
    EXPECT_EQ(e.reason(), "unknown tap; available: features, head");
  }
}

TEST(GradCam, WorksUnderAnOuterNoGradGuard) {
  auto model = make_model();
  torch::NoGradGuard no_grad;
  expect_cam_2x3(grad_cam(model, sample_input(), "features", 1)[0][0]);
  EXPECT_FALSE(torch::GradMode::is_enabled());
}

TEST(GradCam, WorksWithFrozenParameters) {
  auto model = make_model();
  for (auto& p : model.parameters()) p.requires_grad_(false);
  expect_cam_2x3(grad_cam(model, sample_input(), "features", 1)[0][0]);
}

TEST(NormalizeMap, ScalesByTheMaximum) {
  const at::Tensor m = normalize_map(torch::tensor({0.0, 2.0, 4.0, -1.0}));
  EXPECT_TRUE(at::allclose(m, torch::tensor({0.0f, 0.5f, 1.0f, 0.0f})));
}

TEST(NormalizeMap, AllZeroStaysZero) {
  const at::Tensor m = normalize_map(at::zeros({2, 3}));
  EXPECT_EQ(m.sizes(), at::IntArrayRef({2, 3}));
  EXPECT_EQ(m.abs().max().item<float>(), 0.0f);
}

}  // namespace
}  // namespace unetx::xai
