#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include "models/flops.h"
#include "models/mc_dropout.h"
#include "models/registry.h"
#include "models/unet.h"

namespace unetx::models {
namespace {

TEST(Registry, BuildsUNetFromItsOwnConfig) {
  auto original = make_unet(UNetOptions(2, 3).dims(2).features({4, 8, 16}).norm("group"));
  auto rebuilt = make_model(original->config());
  EXPECT_EQ(rebuilt->config(), original->config());
  EXPECT_EQ(parameter_count(*rebuilt), parameter_count(*original));
  EXPECT_EQ(rebuilt->spatial_dims(), 2);
  EXPECT_EQ(rebuilt->in_channels(), 2);
  EXPECT_EQ(rebuilt->num_classes(), 3);
  const auto names = model_names();
  EXPECT_NE(std::find(names.begin(), names.end(), "unet"), names.end());
}

TEST(Registry, UnknownNameListsKnownNames) {
  try {
    make_model({{"name", "vnet"}, {"in_channels", 1}, {"num_classes", 2}});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("vnet"), std::string::npos) << msg;
    for (const char* name : {"unet", "unetpp", "eunet", "udtransnet", "unet_se_baseline"}) {
      EXPECT_NE(msg.find(name), std::string::npos) << msg;
    }
  }
  EXPECT_THROW(make_model({{"in_channels", 1}}), std::invalid_argument);
}

TEST(Registry, SeBaselinePresetIsTheThreeLevelUNet) {
  auto model = make_model({{"name", "unet_se_baseline"}, {"in_channels", 1}, {"num_classes", 2},
                           {"dims", 2}, {"se", "fca"}});
  EXPECT_EQ(model->config().at("name"), "unet");
  EXPECT_EQ(model->config().at("features"), (std::vector<int64_t>{32, 64, 128, 256}));
  EXPECT_EQ(model->config().at("se"), "fca");
  EXPECT_EQ(model->size_divisor(), 8);
  EXPECT_THROW(make_model({{"name", "unet_se_baseline"}, {"in_channels", 1}, {"num_classes", 2},
                           {"features", {8, 16}}}),
               std::invalid_argument);
}

TEST(Registry, CommandLineOptionsBecomeConfigKeys) {
  EXPECT_EQ(parse_option_value("32,64,128"), (nlohmann::json{32, 64, 128}));
  EXPECT_EQ(parse_option_value("true"), true);
  EXPECT_EQ(parse_option_value("3"), 3);
  EXPECT_EQ(parse_option_value("0.25"), 0.25);
  EXPECT_EQ(parse_option_value("scse"), "scse");
  const auto c = model_config("unetpp", 1, 2, 3, {"features=8,16,32", "deep_supervision=false"});
  EXPECT_EQ(make_model(c)->config().at("deep_supervision"), false);
  EXPECT_THROW(model_config("unet", 1, 2, 3, {"features"}), std::invalid_argument);
  for (const auto& name : model_names()) EXPECT_FALSE(model_description(name).empty()) << name;
}

TEST(Flops, SingleConvMatchesHandFormula) {
  // 3x3x3 conv, 3 -> 16 channels, on a 32^3 output: 2 * 3 * 16 * 27 * 32768 = 84,934,656.
  EXPECT_DOUBLE_EQ(conv_flops(3, 16, 27, 32 * 32 * 32), 84934656.0);
  // 2x2 transposed conv 8 -> 4 on a 4x4 input: 2 * 8 * 4 * 4 * 16 = 4096.
  EXPECT_DOUBLE_EQ(conv_transpose_flops(8, 4, 4, 16), 4096.0);
}

// in 1, classes 2, features {4, 8}, 2-D, input 8x8 (64 px at level 0, 16 px at the bottleneck):
//   encoder.0   2*4*1*9*64 = 4608        2*4*4*9*64 = 18432
//   bottleneck  2*8*4*9*16 = 9216        2*8*8*9*16 = 18432
//   up.0        convT: 2*8*4*4*16 = 4096
//   decoder.0   2*4*8*9*64 = 36864       2*4*4*9*64 = 18432
//   head        2*2*4*1*64 = 1024
//   total = 111104 per sample
TEST(Flops, TinyUNetMatchesHandCount) {
  auto model = make_unet(UNetOptions(1, 2).dims(2).features({4, 8}));
  EXPECT_DOUBLE_EQ(forward_flops(*model, {1, 1, 8, 8}), 111104.0);
  EXPECT_DOUBLE_EQ(forward_flops(*model, {3, 1, 8, 8}), 3 * 111104.0);
  // "interpolate": the 1x1 conv 8->4 at 64 px also costs 2*8*4*64 = 4096, same total.
  auto interp = make_unet(UNetOptions(1, 2).dims(2).features({4, 8}).upsample("interpolate"));
  EXPECT_DOUBLE_EQ(forward_flops(*interp, {1, 1, 8, 8}), 111104.0);
  EXPECT_THROW(forward_flops(*model, {1, 1, 8}), std::invalid_argument);
}

TEST(McDropout, SamplesDifferWhenOnAndAgreeWhenOff) {
  torch::manual_seed(1);
  auto model = make_unet(UNetOptions(1, 2).dims(2).features({4, 8, 16}).dropout(0.5));
  const auto x = torch::randn({1, 1, 16, 16});
  torch::NoGradGuard no_grad;

  // One dropout after the bottleneck and one after each of the 2 decoder stages.
  EXPECT_EQ(set_mc_dropout(*model, true), 3);
  EXPECT_FALSE(model->is_training()) << "everything but dropout stays in eval mode";
  EXPECT_FALSE(torch::equal(model->forward(x), model->forward(x)));

  EXPECT_EQ(set_mc_dropout(*model, false), 3);
  EXPECT_TRUE(torch::equal(model->forward(x), model->forward(x)));
}

TEST(McDropout, ModelWithoutDropoutReportsZero) {
  auto model = make_unet(UNetOptions(1, 2).dims(2).features({4, 8}));
  EXPECT_EQ(set_mc_dropout(*model, true), 0);
}

}  // namespace
}  // namespace unetx::models
