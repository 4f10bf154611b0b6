// The collaboration gradient: a hand-computed cosine on a two-level model small enough to
// differentiate by hand, the [-1, 1] range on a real EU-Net, and the refusal of a network
// without a decoder pyramid.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "io/error.h"
#include "linear_head_model.h"
#include "models/registry.h"
#include "xai/collaboration_gradient.h"

namespace unetx::xai {
namespace {

// 2-D, one input channel, one class:
//   decoder.1 = c1 * avgpool2(x)                 (half resolution)
//   decoder.0 = c0 * x + nearest_up2(decoder.1)  (full resolution) = logits
// With S = sum of logits: dS/d decoder.0 = 1, dS/d decoder.1 = 4 (each coarse voxel feeds 4).
class TwoLevelModel : public models::SegmentationModel {
 public:
  TwoLevelModel(float c0, float c1) {
    c0_ = register_parameter("c0", torch::tensor({c0}));
    c1_ = register_parameter("c1", torch::tensor({c1}));
  }
  torch::Tensor forward(torch::Tensor x) override {
    at::Tensor a1 = c1_ * at::avg_pool2d(x, {2, 2});
    tap("decoder.1", a1);
    at::Tensor a0 = c0_ * x + a1.repeat_interleave(2, 2).repeat_interleave(2, 3);
    tap("decoder.0", a0);
    return a0;
  }
  int spatial_dims() const override { return 2; }
  int64_t in_channels() const override { return 1; }
  int64_t num_classes() const override { return 1; }
  int64_t size_divisor() const override { return 2; }
  nlohmann::json config() const override { return {{"name", "two_level"}}; }
  std::vector<std::string> tap_names() const override { return {"decoder.1", "decoder.0"}; }

 private:
  at::Tensor c0_, c1_;
};

TEST(CollaborationGradient, EqualsAHandComputedCosineOnATinyCase) {
  const float c0 = 1.0f, c1 = -0.5f;
  TwoLevelModel model(c0, c1);
  const float xs[4][4] = {{1, -2, 0.5f, 3}, {2, 1, -1, 0}, {-1, 4, 2, -2}, {0.5f, -3, 1, 1}};
  at::Tensor x = at::zeros({1, 1, 4, 4});
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) x[0][0][i][j] = xs[i][j];
  // Gradient x activation per level: m0 = 1 * a0, m1 = 4 * a1 (on the fine grid).
  double m0[4][4], m1[4][4];
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) {
      const int bi = i / 2 * 2, bj = j / 2 * 2;
      const double pooled =
          (xs[bi][bj] + xs[bi][bj + 1] + xs[bi + 1][bj] + xs[bi + 1][bj + 1]) / 4.0;
      m1[i][j] = 4.0 * c1 * pooled;
      m0[i][j] = c0 * xs[i][j] + c1 * pooled;
    }
  }
  const at::Tensor out = collaboration_window(model, x);
  ASSERT_EQ(out.sizes(), at::IntArrayRef({1, 2, 4, 4}));
  EXPECT_TRUE(at::allclose(out[0][0], at::ones({4, 4})));  // softmax over one class
  int negative = 0, positive = 0;
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < 4; ++j) {
      double ab = 0, aa = 0, bb = 0;
      for (int u = std::max(0, i - 1); u <= std::min(3, i + 1); ++u) {
        for (int v = std::max(0, j - 1); v <= std::min(3, j + 1); ++v) {
          ab += m0[u][v] * m1[u][v];
          aa += m0[u][v] * m0[u][v];
          bb += m1[u][v] * m1[u][v];
        }
      }
      const double expected = ab / std::sqrt(aa * bb);
      negative += expected < -0.05;
      positive += expected > 0.05;
      EXPECT_NEAR(out[0][1][i][j].item<float>(), expected, 1e-5) << i << "," << j;
    }
  }
  EXPECT_GT(negative, 0);  // the example has agreeing and opposing neighbourhoods
  EXPECT_GT(positive, 0);
  for (const auto& p : model.parameters()) EXPECT_FALSE(p.grad().defined());  // weights untouched
}

TEST(CollaborationGradient, ScoresOfAnEUNetLieInMinusOneToOne) {
  torch::manual_seed(3);
  auto net = models::make_model(models::model_config("eunet", 1, 3, 2, {"features=4,8,16"}));
  net->eval();
  const at::Tensor out = collaboration_window(*net, at::randn({2, 1, 16, 16}));
  ASSERT_EQ(out.sizes(), at::IntArrayRef({2, 4, 16, 16}));
  const at::Tensor cos = out.slice(1, 3, 4);
  EXPECT_GE(cos.min().item<float>(), -1.0f);
  EXPECT_LE(cos.max().item<float>(), 1.0f);
  EXPECT_LT(cos.min().item<float>(), cos.max().item<float>());
  EXPECT_TRUE(at::allclose(out.slice(1, 0, 3).sum(1), at::ones({2, 16, 16}), 1e-5, 1e-5));
  for (const auto& p : net->parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(CollaborationGradient, ANetworkWithoutADecoderPyramidIsRefused) {
  testing::LinearHeadModel model(at::eye(1), at::ones({2, 1}), at::zeros({2}));
  try {
    collaboration_window(model, at::randn({1, 1, 4, 4}));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("decoder pyramid"), std::string::npos) << e.what();
  }
}

TEST(LocalCosine, IsOneForProportionalMapsMinusOneForOppositeAndZeroWithoutSignal) {
  const at::Tensor a = at::randn({1, 1, 3, 4, 5}) + 0.1;
  EXPECT_TRUE(at::allclose(local_cosine(a, 2.5 * a), at::ones_like(a), 1e-5, 1e-5));
  EXPECT_TRUE(at::allclose(local_cosine(a, -a), -at::ones_like(a), 1e-5, 1e-5));
  EXPECT_EQ(local_cosine(a, at::zeros_like(a)).abs().max().item<float>(), 0.0f);
  EXPECT_THROW(local_cosine(a, a, 2), Error);
}

}  // namespace
}  // namespace unetx::xai
