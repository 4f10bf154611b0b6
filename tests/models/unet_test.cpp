#include "models/unet.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "models/registry.h"

namespace unetx::models {
namespace {

struct ShapeCase {
  int dims;
  std::vector<int64_t> features;
  std::vector<int64_t> input;  // (B, C, spatial...)
  int64_t divisor;
};

class UNetShapes : public ::testing::TestWithParam<ShapeCase> {};

TEST_P(UNetShapes, OutputIsBatchByClassesBySameSpatialSize) {
  const auto& c = GetParam();
  torch::manual_seed(0);
  auto model = make_unet(UNetOptions(c.input[1], 3).dims(c.dims).features(c.features));
  EXPECT_EQ(model->size_divisor(), c.divisor);
  EXPECT_EQ(model->spatial_dims(), c.dims);
  auto y = model->forward(torch::randn(c.input));
  std::vector<int64_t> expected = c.input;
  expected[1] = 3;
  EXPECT_EQ(y.sizes().vec(), expected);
}

INSTANTIATE_TEST_SUITE_P(TwoAndThreeD, UNetShapes,
                         ::testing::Values(ShapeCase{2, {4, 8}, {2, 1, 6, 10}, 2},
                                           ShapeCase{2, {4, 8, 16}, {2, 2, 16, 12}, 4},
                                           ShapeCase{2, {4, 8, 16, 32}, {1, 1, 16, 24}, 8},
                                           ShapeCase{2, {2, 4, 8, 16, 32}, {1, 1, 32, 16}, 16},
                                           ShapeCase{3, {4, 8}, {1, 1, 4, 6, 2}, 2},
                                           ShapeCase{3, {4, 8, 16}, {2, 1, 8, 4, 12}, 4},
                                           ShapeCase{3, {2, 4, 8, 16}, {1, 2, 8, 16, 8}, 8}));

TEST(UNet, TapsHaveStageChannelsAndResolutions) {
  auto model = make_unet(UNetOptions(1, 2).dims(2).features({4, 8, 16}));
  const std::vector<std::string> names = {"encoder.0", "encoder.1", "bottleneck", "decoder.1",
                                          "decoder.0"};
  EXPECT_EQ(model->tap_names(), names);

  model->forward(torch::randn({1, 1, 16, 32}));
  EXPECT_TRUE(model->taps().empty()) << "taps are recorded only on request";

  model->record_taps(true);
  model->forward(torch::randn({1, 1, 16, 32}));
  const std::map<std::string, std::vector<int64_t>> expected = {{"encoder.0", {1, 4, 16, 32}},
                                                                {"encoder.1", {1, 8, 8, 16}},
                                                                {"bottleneck", {1, 16, 4, 8}},
                                                                {"decoder.1", {1, 8, 8, 16}},
                                                                {"decoder.0", {1, 4, 16, 32}}};
  ASSERT_EQ(model->taps().size(), expected.size());
  for (const auto& [name, shape] : expected) {
    ASSERT_TRUE(model->taps().count(name)) << name;
    EXPECT_EQ(model->taps().at(name).sizes().vec(), shape) << name;
    EXPECT_TRUE(model->taps().at(name).requires_grad()) << name << " must stay in the graph";
  }
  model->record_taps(false);
  EXPECT_TRUE(model->taps().empty());
}

TEST(UNet, ThreeDTapsHalveEverySpatialAxis) {
  auto model = make_unet(UNetOptions(2, 2).dims(3).features({3, 5}));
  model->record_taps(true);
  model->forward(torch::randn({1, 2, 4, 8, 6}));
  EXPECT_EQ(model->taps().at("encoder.0").sizes().vec(), (std::vector<int64_t>{1, 3, 4, 8, 6}));
  EXPECT_EQ(model->taps().at("bottleneck").sizes().vec(), (std::vector<int64_t>{1, 5, 2, 4, 3}));
  EXPECT_EQ(model->taps().at("decoder.0").sizes().vec(), (std::vector<int64_t>{1, 3, 4, 8, 6}));
}

TEST(UNet, NonDivisibleInputGivesClearError) {
  auto model = make_unet(UNetOptions(1, 2).dims(2).features({4, 8, 16, 32}));
  try {
    model->forward(torch::randn({1, 1, 12, 16}));
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("12"), std::string::npos) << msg;
    EXPECT_NE(msg.find("multiple of 8"), std::string::npos) << msg;
  }
}

TEST(UNet, WrongRankOrChannelsIsRefused) {
  auto model = make_unet(UNetOptions(1, 2).dims(2).features({4, 8}));
  EXPECT_THROW(model->forward(torch::randn({1, 1, 4, 4, 4})), std::invalid_argument);
  EXPECT_THROW(model->forward(torch::randn({1, 3, 4, 4})), std::invalid_argument);
}

TEST(UNet, InvalidOptionsAreRefusedAtConstruction) {
  EXPECT_THROW(make_unet(UNetOptions(1, 2).features({8})), std::invalid_argument);
  EXPECT_THROW(make_unet(UNetOptions(1, 2).dims(4)), std::invalid_argument);
  EXPECT_THROW(make_unet(UNetOptions(1, 2).norm("layer")), std::invalid_argument);
  EXPECT_THROW(make_unet(UNetOptions(1, 2).upsample("pixelshuffle")), std::invalid_argument);
  EXPECT_THROW(make_unet(UNetOptions(1, 2).dropout(1.0)), std::invalid_argument);
  EXPECT_THROW(make_unet(UNetOptions(0, 2)), std::invalid_argument);
  EXPECT_THROW(UNetImpl<2>(UNetOptions(1, 2).dims(3)), std::invalid_argument);
}

// in_channels 1, num_classes 2, features {4, 8}, 2-D, norm "none", transposed upsampling:
//   encoder.0   conv 1->4 3x3: 4*1*9 + 4 =  40;  conv 4->4: 4*4*9 + 4 = 148
//   bottleneck  conv 4->8:     8*4*9 + 8 = 296;  conv 8->8: 8*8*9 + 8 = 584
//   up.0        convT 8->4 2x2: 8*4*4 + 4 = 132
//   decoder.0   conv 8->4:     4*8*9 + 4 = 292;  conv 4->4: 148
//   head        conv 4->2 1x1: 2*4 + 2  =  10
//   total = 40 + 148 + 296 + 584 + 132 + 292 + 148 + 10 = 1650
TEST(UNet, ParameterCountMatchesHandCount) {
  auto base = UNetOptions(1, 2).dims(2).features({4, 8});
  EXPECT_EQ(parameter_count(*make_unet(UNetOptions(base).norm("none"))), 1650);
  // Affine norms add a scale and a shift per channel after each conv of a stage:
  // 2*(4+4) + 2*(8+8) + 2*(4+4) = 64.
  EXPECT_EQ(parameter_count(*make_unet(UNetOptions(base).norm("instance"))), 1650 + 64);
  EXPECT_EQ(parameter_count(*make_unet(UNetOptions(base).norm("batch"))), 1650 + 64);
  EXPECT_EQ(parameter_count(*make_unet(UNetOptions(base).norm("group"))), 1650 + 64);
  // "interpolate" replaces the 2x2 transposed conv (132) by a 1x1 conv 8->4 (8*4 + 4 = 36).
  EXPECT_EQ(parameter_count(*make_unet(UNetOptions(base).norm("none").upsample("interpolate"))),
            1650 - 132 + 36);
  // 3-D: every 3x3 kernel has 27 taps, the 2x2 transposed kernel 8:
  // 4*27+4 + 4*4*27+4 + 8*4*27+8 + 8*8*27+8 + 8*4*8+4 + 4*8*27+4 + 4*4*27+4 + 2*4+2
  //   = 112 + 436 + 872 + 1736 + 260 + 868 + 436 + 10 = 4730
  EXPECT_EQ(parameter_count(*make_unet(UNetOptions(base).dims(3).norm("none"))), 4730);
}

TEST(UNet, EveryNormAndUpsampleVariantRunsIn2DAnd3D) {
  for (int dims : {2, 3}) {
    for (const char* norm : {"instance", "batch", "group", "none"}) {
      for (const char* up : {"transposed", "interpolate"}) {
        auto model = make_unet(
            UNetOptions(1, 2).dims(dims).features({4, 12}).norm(norm).upsample(up).dropout(0.1));
        std::vector<int64_t> shape = {2, 1, 4, 4};
        if (dims == 3) shape.push_back(4);
        auto y = model->forward(torch::randn(shape));
        EXPECT_EQ(y.size(1), 2) << norm << " " << up;
        EXPECT_TRUE(torch::isfinite(y).all().item<bool>()) << norm << " " << up;
      }
    }
  }
}

TEST(UNetOptionsJson, RoundTripsAndRejectsTypos) {
  auto o = UNetOptions(2, 5)
               .dims(2)
               .features({8, 16, 32})
               .norm("batch")
               .dropout(0.25)
               .upsample("interpolate");
  const auto j = to_json(o);
  EXPECT_EQ(j.at("name"), "unet");
  EXPECT_EQ(to_json(unet_options_from_json(j)), j);
  auto model = make_unet(o);
  EXPECT_EQ(model->config(), j);

  auto defaults = unet_options_from_json({{"in_channels", 1}, {"num_classes", 2}});
  EXPECT_EQ(defaults.dims(), 3);
  EXPECT_EQ(defaults.features(), (std::vector<int64_t>{32, 64, 128, 256}));
  EXPECT_EQ(defaults.norm(), "instance");

  auto typo = j;
  typo["feature"] = {4, 8};
  EXPECT_THROW(unet_options_from_json(typo), std::invalid_argument);
  EXPECT_THROW(unet_options_from_json({{"num_classes", 2}}), std::invalid_argument);
  EXPECT_THROW(unet_options_from_json({{"in_channels", "one"}, {"num_classes", 2}}),
               std::invalid_argument);
}

}  // namespace
}  // namespace unetx::models
