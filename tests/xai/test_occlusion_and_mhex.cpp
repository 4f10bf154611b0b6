#include <gtest/gtest.h>

#include "io/error.h"
#include "models/eunet.h"
#include "tests/xai/linear_head_model.h"
#include "xai/occlusion.h"

namespace unetx::xai {
namespace {

using testing::LinearHeadModel;

Objective class1() {
  Objective o;
  o.target_class = 1;
  return o;
}

TEST(Occlusion, MeanScoreDropOfTheCoveringPatchesOnALinearModel) {
  // logit1 = x0 - 0.5 x1 on the region R = [[0,0,1],[1,1,1]] (see test_grad_cam.cpp); per voxel
  // of R the contributions are [[-, -, 3], [3, 5, 4.5]]. Window 2x2, stride 2 on 2x3: patches at
  // columns 0-1 (drop 3 + 5 = 8) and 1-2 (drop 3 + 5 + 4.5 = 12.5, flush with the edge).
  // Column 0 is covered by the first only, column 2 by the second, column 1 by both (mean).
  LinearHeadModel model(at::eye(2), torch::tensor({{0.0, 0.0}, {1.0, -0.5}}),
                        torch::tensor({2.0, 0.0}));
  const at::Tensor x =
      torch::tensor({1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 6.0, 1.0, 0.0, 2.0, 0.0, 3.0}).view({1, 2, 2, 3});
  MethodOptions o;
  o.window = {1, 2, 2};
  o.stride = {1, 2, 2};
  o.batch = 1;
  const at::Tensor map = occlusion(model, x, at::zeros_like(x), class1(), o);
  ASSERT_EQ(map.sizes(), at::IntArrayRef({1, 1, 2, 3}));
  const at::Tensor expected =
      torch::tensor({8.0, 10.25, 12.5, 8.0, 10.25, 12.5}).view({1, 1, 2, 3}).to(at::kFloat);
  EXPECT_TRUE(at::allclose(map, expected, 1e-5, 1e-5)) << map;
}

TEST(Occlusion, SingleVoxelWindowIsInputTimesWeightOnTheRegion) {
  LinearHeadModel model(at::eye(2), torch::tensor({{0.0, 0.0}, {1.0, -0.5}}),
                        torch::tensor({2.0, 0.0}));
  const at::Tensor x =
      torch::tensor({1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 6.0, 1.0, 0.0, 2.0, 0.0, 3.0}).view({1, 2, 2, 3});
  MethodOptions o;
  o.window = {1, 1, 1};
  o.stride = {1, 1, 1};
  const at::Tensor map = occlusion(model, x, at::zeros_like(x), class1(), o);
  const at::Tensor expected =
      torch::tensor({0.0, 0.0, 3.0, 3.0, 5.0, 4.5}).view({1, 1, 2, 3}).to(at::kFloat);
  EXPECT_TRUE(at::allclose(map, expected, 1e-5, 1e-5)) << map;
}

TEST(MhexCam, EqualsTheExplicitTwoConvolutionProductWithoutRelu) {
  torch::manual_seed(21);
  const auto backbone = models::UNetOptions(1, 3).dims(2).features({4, 8}).norm("none");
  auto net = models::make_eunet(models::EUNetOptions(backbone).mhex_channels(3));
  auto& eunet = dynamic_cast<models::EUNetImpl<2>&>(*net);
  eunet.eval();
  const at::Tensor x = torch::randn({2, 1, 8, 8});
  Objective o = class1();
  o.target_class = 2;
  const at::Tensor cam = mhex_cam(*net, x, {}, o, {});
  ASSERT_EQ(cam.sizes(), at::IntArrayRef({2, 1, 8, 8}));

  // Independently: decoder.0's tap is the gated F (1 + gate), so F = tap / (1 + gate); the
  // two 1x1 convolutions of the MHEX+ module applied in turn, no ReLU, class 2, then ReLU.
  torch::NoGradGuard no_grad;
  net->record_taps(true);
  net->forward(x);
  const at::Tensor f = net->taps().at("decoder.0") / (1 + net->taps().at("mhex.0.gate"));
  net->record_taps(false);
  const at::Tensor explicit_cam = eunet.mhex(0).linear_composition(f).narrow(1, 2, 1).relu();
  EXPECT_TRUE(at::allclose(cam, explicit_cam, 1e-4, 1e-5));
  EXPECT_GT(cam.abs().max().item<float>(), 0.0f);
  EXPECT_TRUE(net->taps().empty());
}

TEST(MhexCam, OtherModelsGetAClearError) {
  LinearHeadModel model(at::eye(2), at::eye(2), at::zeros({2}));
  try {
    mhex_cam(model, at::zeros({1, 2, 2, 2}), {}, class1(), {});
    FAIL() << "expected unetx::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.subject(), "--method mhex_cam");
    EXPECT_NE(e.reason().find("EU-Net"), std::string::npos);
    EXPECT_NE(e.reason().find("linear_head"), std::string::npos);
  }
}

}  // namespace
}  // namespace unetx::xai
