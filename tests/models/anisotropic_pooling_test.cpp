// The U-Net's per-axis pooling (UNetOptions::pool_strides): a 3-D network that never pools z is,
// on a single slice, exactly the 2-D network whose kernels are the 3-D kernels' middle z-planes.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "models/unet.h"
#include "models/unetpp.h"

namespace unetx::models {
namespace {

using Strides = std::vector<std::vector<int64_t>>;

const Strides kKeepZ = {{1, 2, 2}, {1, 2, 2}};  // (z, y, x) per level

TEST(AnisotropicPooling, TapsKeepZAndHalveYX) {
  auto model = make_unet(UNetOptions(1, 2).dims(3).features({3, 5, 7}).pool_strides(kKeepZ));
  model->record_taps(true);
  model->forward(torch::randn({1, 1, 3, 8, 12}));
  const auto& taps = model->taps();
  EXPECT_EQ(taps.at("encoder.1").sizes().vec(), (std::vector<int64_t>{1, 5, 3, 4, 6}));
  EXPECT_EQ(taps.at("bottleneck").sizes().vec(), (std::vector<int64_t>{1, 7, 3, 2, 3}));
  EXPECT_EQ(taps.at("decoder.0").sizes().vec(), (std::vector<int64_t>{1, 3, 3, 8, 12}));
}

TEST(AnisotropicPooling, DivisorsArePerAxisProducts) {
  auto model = make_unet(
      UNetOptions(1, 2).dims(3).features({4, 8, 16}).pool_strides({{1, 2, 2}, {2, 2, 1}}));
  EXPECT_EQ(model->size_divisors(), (std::vector<int64_t>{2, 4, 2}));
  EXPECT_EQ(model->size_divisor(), 4);
  EXPECT_NO_THROW(model->forward(torch::randn({1, 1, 2, 4, 6})));
  try {
    model->forward(torch::randn({1, 1, 3, 4, 6}));  // z = 3 is not a multiple of 2
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("multiple of 2"), std::string::npos) << e.what();
  }
  // The plain U-Net keeps its single divisor on every axis.
  EXPECT_EQ(make_unet(UNetOptions(1, 2).dims(3).features({4, 8, 16}))->size_divisors(),
            (std::vector<int64_t>{4, 4, 4}));
}

// Copies every parameter of the 3-D network into the 2-D one: of a 3^3 kernel its middle z-plane
// (the only one a single zero-padded slice reaches), of a (1, 2, 2) transposed kernel its plane.
void copy_middle_planes(const torch::nn::Module& from3d, torch::nn::Module& to2d) {
  torch::NoGradGuard no_grad;
  const auto source = from3d.named_parameters();
  for (auto& p : to2d.named_parameters()) {
    const torch::Tensor& w = source[p.key()];
    p.value().copy_(w.dim() == 5 ? w.select(2, w.size(2) / 2) : w);
  }
}

TEST(AnisotropicPooling, OneSliceThroughAZKeepingNetworkEqualsThe2DNetwork) {
  torch::manual_seed(7);
  for (const char* up : {"transposed", "interpolate"}) {
    const auto base = UNetOptions(2, 3).features({4, 8, 16}).norm("instance").upsample(up);
    auto net3d = make_unet(UNetOptions(base).dims(3).pool_strides(kKeepZ));
    auto net2d = make_unet(UNetOptions(base).dims(2));
    {
      // Non-default norm scales and shifts too, so the copy of every tensor matters.
      torch::NoGradGuard no_grad;
      for (auto& p : net3d->parameters()) p.uniform_(-0.5, 0.5);
    }
    copy_middle_planes(*net3d, *net2d);
    const auto x = torch::randn({2, 2, 16, 12});
    const auto y2d = net2d->forward(x);
    const auto y3d = net3d->forward(x.unsqueeze(2)).squeeze(2);
    EXPECT_TRUE(torch::allclose(y3d, y2d, 1e-4, 1e-5))
        << up << ": max difference " << (y3d - y2d).abs().max().item<double>();
  }
}

TEST(AnisotropicPooling, FlopsCountEachLevelsOwnVoxels) {
  // features {4, 8}, 1 level pooled (1, 2, 2), input 1x1x2x4x4 (32 voxels, 8 after pooling):
  //   encoder.0 2 x 27 x (1x4 + 4x4) x 32 = 34,560;  bottleneck 2 x 27 x (4x8 + 8x8) x 8 = 41,472
  //   up.0 (transposed, kernel 1x2x2) 2 x 8 x 4 x 4 x 8 = 2,048
  //   decoder.0 2 x 27 x (8x4 + 4x4) x 32 = 82,944;  head 2 x 4 x 2 x 32 = 512
  auto model = make_unet(UNetOptions(1, 2).dims(3).features({4, 8}).pool_strides({{1, 2, 2}}));
  EXPECT_DOUBLE_EQ(model->forward_flops({1, 1, 2, 4, 4}), 34560.0 + 41472 + 2048 + 82944 + 512);
}

TEST(AnisotropicPooling, BadStridesAreRefused) {
  const auto o = UNetOptions(1, 2).dims(3).features({4, 8, 16});
  EXPECT_THROW(make_unet(UNetOptions(o).pool_strides({{1, 2, 2}})), std::invalid_argument);
  EXPECT_THROW(make_unet(UNetOptions(o).pool_strides({{1, 2}, {1, 2}})), std::invalid_argument);
  EXPECT_THROW(make_unet(UNetOptions(o).pool_strides({{1, 2, 3}, {2, 2, 2}})),
               std::invalid_argument);
  // UNet++'s nested paths assume halving everywhere.
  EXPECT_THROW(make_unetpp(UNetPlusPlusOptions(UNetOptions(o).pool_strides(kKeepZ))),
               std::invalid_argument);
  const Strides halve_all = {{2, 2, 2}, {2, 2, 2}};
  EXPECT_NO_THROW(make_unetpp(UNetPlusPlusOptions(UNetOptions(o).pool_strides(halve_all))));
}

TEST(AnisotropicPooling, ConfigKeepsTheStridesAndOmitsTheDefault) {
  const auto o = UNetOptions(1, 2).dims(3).features({4, 8, 16}).pool_strides(kKeepZ);
  const auto j = to_json(o);
  EXPECT_EQ(j.at("pool_strides"), nlohmann::json(kKeepZ));
  EXPECT_EQ(unet_options_from_json(j).pool_strides(), kKeepZ);
  EXPECT_FALSE(to_json(UNetOptions(1, 2)).contains("pool_strides"));
}

}  // namespace
}  // namespace unetx::models
