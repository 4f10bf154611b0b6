#include <gtest/gtest.h>

#include "io/error.h"
#include "models/unet.h"
#include "xai/grad_cam.h"
#include "xai/methods.h"

namespace unetx::xai {
namespace {

models::ModelPtr tiny_unet() {
  return models::make_unet(models::UNetOptions(1, 2).dims(2).features({4, 8, 16}));
}

TEST(MethodRegistry, EveryMethodOfTheIssueIsRegisteredOnce) {
  const std::vector<std::string> expected = {
      "saliency", "input_x_gradient", "smoothgrad",           "guided_backprop", "gradcam",
      "guided_gradcam", "deeplift",   "integrated_gradients", "occlusion",       "mhex_cam"};
  std::vector<std::string> names;
  for (const auto& m : attribution_methods()) names.push_back(m.name);
  EXPECT_EQ(names, expected);
  EXPECT_EQ(&find_method("deeplift"), &attribution_methods()[6]);
}

TEST(MethodRegistry, UnknownMethodListsTheAvailableOnes) {
  try {
    find_method("lime");
    FAIL() << "expected unetx::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.subject(), "--method lime");
    EXPECT_NE(e.reason().find("saliency, input_x_gradient"), std::string::npos);
  }
}

TEST(ExpandMethods, OneJobPerMethodInOrder) {
  auto net = tiny_unet();
  const auto jobs = expand_methods("occlusion,saliency", *net, {});
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].name, "occlusion");
  EXPECT_EQ(jobs[1].method->name, "saliency");
  EXPECT_THROW(expand_methods("saliency,saliency", *net, {}), Error);
  EXPECT_THROW(expand_methods(",", *net, {}), Error);
}

TEST(ExpandMethods, LayerAllGivesAGradCamPerEncoderAndDecoderStage) {
  auto net = tiny_unet();
  MethodOptions o;
  o.layer = "all";
  const auto jobs = expand_methods("gradcam,saliency", *net, o);
  const auto stages = stage_taps(*net);
  // Two levels: encoder.0, encoder.1, bottleneck, decoder.1, decoder.0.
  ASSERT_EQ(stages.size(), 5u);
  ASSERT_EQ(jobs.size(), stages.size() + 1);
  for (size_t i = 0; i < stages.size(); ++i) {
    EXPECT_EQ(jobs[i].name, "gradcam_" + stages[i]);
    EXPECT_EQ(jobs[i].options.layer, stages[i]);
  }
  EXPECT_EQ(jobs.back().name, "saliency");
}

TEST(ExpandMethods, EveryStageMapOfAUNetHasTheInputSize) {
  auto net = tiny_unet();
  net->eval();
  torch::manual_seed(0);
  const at::Tensor x = torch::randn({1, 1, 16, 16});
  MethodOptions o;
  o.layer = "all";
  Objective obj;
  obj.region = at::ones({1, 16, 16}, at::kBool);  // a fixed region: every map is non-trivial
  for (const auto& job : expand_methods("gradcam", *net, o)) {
    const at::Tensor cam = job.method->fn(*net, x, at::zeros_like(x), obj, job.options);
    EXPECT_EQ(cam.sizes(), at::IntArrayRef({1, 1, 16, 16})) << job.name;
    EXPECT_GE(cam.min().item<float>(), 0.0f) << job.name;
  }
}

}  // namespace
}  // namespace unetx::xai
