#include "models/udtransnet.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/registry.h"

namespace unetx::models {
namespace {

UDTransNetOptions tiny(int dims) {
  return UDTransNetOptions(UNetOptions(1, 2).dims(dims).features({4, 8, 16, 32})).layers(1);
}

TEST(UDTransNet, DefaultsAreFourHeadsAndFourLayers) {
  const UDTransNetOptions o(UNetOptions(1, 2));
  EXPECT_EQ(o.heads(), 4);
  EXPECT_EQ(o.layers(), 4);
  const auto c = make_model({{"name", "udtransnet"}, {"in_channels", 1}, {"num_classes", 2},
                             {"dims", 2}, {"features", {8, 16, 32}}})
                     ->config();
  EXPECT_EQ(c.at("heads"), 4);
  EXPECT_EQ(c.at("layers"), 4);
}

TEST(UDTransNet, TapsExposeTransformedSkipsAndChannelAttention) {
  torch::manual_seed(9);
  UDTransNetImpl<2> model(tiny(2));
  model.record_taps(true);
  model.forward(torch::randn({1, 1, 16, 32}));
  const auto& taps = model.taps();
  EXPECT_EQ(taps.at("dat.0").sizes().vec(), (std::vector<int64_t>{1, 4, 16, 32}));
  EXPECT_EQ(taps.at("dat.2").sizes().vec(), (std::vector<int64_t>{1, 16, 4, 8}));
  const auto a = taps.at("dra.1");
  EXPECT_EQ(a.sizes().vec(), (std::vector<int64_t>{1, 8, 8}));
  // Rows are softmax distributions over the skip channels.
  EXPECT_TRUE(torch::allclose(a.sum(-1), torch::ones({1, 8}), 1e-5, 1e-5));
}

TEST(UDTransNet, TransformerChangesTheSkips) {
  torch::manual_seed(10);
  UDTransNetImpl<3> model(tiny(3));
  model.record_taps(true);
  model.forward(torch::randn({1, 1, 8, 8, 8}));
  EXPECT_FALSE(torch::allclose(model.taps().at("dat.1"), model.taps().at("encoder.1")));
}

TEST(UDTransNet, SizeDivisorCoversTheTokenGrid) {
  EXPECT_EQ(make_udtransnet(tiny(2))->size_divisor(), 8);  // 2^3, and 2^2 * patch 2 = 8
  EXPECT_EQ(make_udtransnet(UDTransNetOptions(tiny(2)).dat_patch(4))->size_divisor(), 16);
  EXPECT_THROW(make_udtransnet(tiny(2))->forward(torch::randn({1, 1, 12, 16})),
               std::invalid_argument);
}

TEST(UDTransNet, InvalidOptionsAreRefused) {
  EXPECT_THROW(make_udtransnet(UDTransNetOptions(tiny(2)).heads(3)), std::invalid_argument);
  EXPECT_THROW(make_udtransnet(UDTransNetOptions(tiny(2)).layers(0)), std::invalid_argument);
  EXPECT_THROW(make_udtransnet(UDTransNetOptions(tiny(2)).dat_patch(3)), std::invalid_argument);
}

}  // namespace
}  // namespace unetx::models
