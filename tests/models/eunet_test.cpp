#include "models/eunet.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/registry.h"

namespace unetx::models {
namespace {

TEST(Mhex, EquivalentKernelAsOneConvEqualsTheTwoConvsWithoutRelu) {
  torch::manual_seed(6);
  MhexImpl<2> mhex2(12, 5, 3);
  const auto x2 = torch::randn({2, 12, 7, 9});
  EXPECT_TRUE(torch::allclose(mhex2.cam(x2), mhex2.linear_composition(x2), 1e-4, 1e-5));
  const auto [w, b] = mhex2.equivalent_kernel();
  EXPECT_EQ(w.sizes().vec(), (std::vector<int64_t>{3, 12, 1, 1}));
  EXPECT_EQ(b.sizes().vec(), (std::vector<int64_t>{3}));

  MhexImpl<3> mhex3(6, 4, 2);
  const auto x3 = torch::randn({1, 6, 4, 5, 3});
  EXPECT_TRUE(torch::allclose(mhex3.cam(x3), mhex3.linear_composition(x3), 1e-4, 1e-5));
  // With the ReLU the deep-supervision logits differ from the linear composition in general.
  EXPECT_FALSE(torch::allclose(mhex3.forward(x3, true).logits, mhex3.linear_composition(x3)));
}

TEST(Mhex, GateIsPerVoxelAndInOpenUnitInterval) {
  MhexImpl<3> mhex(8, 4, 2);
  const auto out = mhex.forward(torch::randn({2, 8, 4, 4, 4}) * 5, false);
  EXPECT_EQ(out.gate.sizes().vec(), (std::vector<int64_t>{2, 1, 4, 4, 4}));
  EXPECT_GT(out.gate.min().item<double>(), 0.0);
  EXPECT_LT(out.gate.max().item<double>(), 1.0);
  EXPECT_FALSE(out.logits.defined()) << "logits are computed only on request";
}

// The SE study's baseline (L = 3, 32/64/128, bottleneck 256): MHEX+ adds far less than 0.1 M.
TEST(EUNet, ExtraParametersOverTheSameUNetStayBelowPointOneMillion) {
  for (int dims : {2, 3}) {
    const auto backbone = UNetOptions(1, 2).dims(dims).features({32, 64, 128, 256});
    const auto unet = make_unet(backbone);
    const auto eunet = make_eunet(EUNetOptions(backbone));
    const int64_t extra = parameter_count(*eunet) - parameter_count(*unet);
    // Per level f m + m + m + 1 + m K + K with m = 16, K = 2: levels 32, 64, 128.
    int64_t expected = 0;
    for (int64_t f : {32, 64, 128}) expected += f * 16 + 16 + 16 + 1 + 16 * 2 + 2;
    EXPECT_EQ(extra, expected);
    EXPECT_LT(extra, 100000);
    if (dims == 2) {
      EXPECT_EQ(dynamic_cast<EUNetImpl<2>&>(*eunet).extra_parameter_count(), extra);
    }
  }
}

TEST(EUNet, CamTapsAreTheEquivalentKernelOnDecoderFeatures) {
  torch::manual_seed(7);
  EUNetImpl<2> model(EUNetOptions(UNetOptions(1, 3).dims(2).features({4, 8, 16})));
  model.eval();
  model.record_taps(true);
  torch::NoGradGuard no_grad;
  model.forward(torch::randn({1, 1, 16, 16}));
  const auto& taps = model.taps();
  ASSERT_TRUE(taps.count("mhex.1.cam"));
  EXPECT_EQ(taps.at("mhex.1.cam").sizes().vec(), (std::vector<int64_t>{1, 3, 8, 8}));
  EXPECT_EQ(taps.at("mhex.0.gate").sizes().vec(), (std::vector<int64_t>{1, 1, 16, 16}));
}

TEST(EUNet, DeepSupervisionHasMainOutputThenOneHeadPerDecoderLevel) {
  torch::manual_seed(8);
  auto model = make_eunet(EUNetOptions(UNetOptions(1, 2).dims(3).features({4, 8, 16, 32})));
  model->eval();
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({1, 1, 8, 8, 8});
  const auto outs = model->forward_deep_supervision(x);
  ASSERT_EQ(outs.size(), 4u);
  EXPECT_TRUE(torch::equal(outs[0], model->forward(x)));
  for (const auto& o : outs) EXPECT_EQ(o.sizes().vec(), (std::vector<int64_t>{1, 2, 8, 8, 8}));
}

}  // namespace
}  // namespace unetx::models
