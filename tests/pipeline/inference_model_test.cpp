// Loading networks for inference: a TorchScript module (scripted here in C++, as PyTorch would
// save it) runs through the sliding window with a plan, and gives exactly softmax(conv(x));
// the loader's refusals name the file and say what to do.
#include <gtest/gtest.h>
#include <torch/script.h>
#include <unistd.h>

#include <filesystem>

#include "io/error.h"
#include "models/checkpoint.h"
#include "models/registry.h"
#include "pipeline/inference.h"
#include "pipeline/plan.h"

namespace unetx::pipeline {
namespace {

namespace fs = std::filesystem;

class InferenceModelLoad : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("unetx-load-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    plan_.spatial_dims = 3;
    plan_.in_channels = 1;
    plan_.patch_size = {8, 8, 8};
    plan_.save(dir_ / "plan.json");
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A 1x1x1 convolution 1 -> 2 classes, saved in TorchScript's format.
  fs::path write_module() {
    torch::jit::Module m("PointSeg");
    m.register_parameter("weight", torch::tensor({2.0f, -1.0f}).view({2, 1, 1, 1, 1}), false);
    m.register_parameter("bias", torch::tensor({0.5f, 0.0f}), false);
    m.define("def forward(self, x):\n  return torch.conv3d(x, self.weight, self.bias)\n");
    const fs::path path = dir_ / "point.pt";
    m.save(path.string());
    return path;
  }

  // `net` saved as a unetx checkpoint with this fixture's plan.
  fs::path save(models::SegmentationModel& net, const std::string& name) {
    models::CheckpointMeta meta;
    meta.model_config = net.config();
    meta.plan = plan_.to_json();
    const fs::path path = dir_ / name;
    models::save_checkpoint(path, net, meta);
    return path;
  }

  fs::path dir_;
  Plan plan_;
};

TEST_F(InferenceModelLoad, TorchScriptModuleRunsWithAPlan) {
  ModelLoadOptions o;
  o.plan = dir_ / "plan.json";
  InferenceModel m = load_inference_model(write_module(), "cpu", o);
  EXPECT_EQ(m.model->num_classes(), 2);
  torch::manual_seed(3);
  const at::Tensor image = at::randn({1, 8, 12, 8});
  const at::Tensor probs = predict_probabilities(*m.model, image, m.plan);
  // Per voxel: logits (2x + 0.5, -x), softmax over the two.
  const at::Tensor expected = at::softmax(at::cat({2 * image + 0.5, -image}, 0), 0);
  EXPECT_TRUE(at::allclose(probs, expected, 1e-5, 1e-6));
}

TEST_F(InferenceModelLoad, RefusalsNameTheFileAndTheFix) {
  const fs::path ts = write_module();
  try {
    load_inference_model(ts, "cpu");
    FAIL() << "a TorchScript file without --plan must be refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.subject(), ts.string());
    EXPECT_NE(e.reason().find("--plan"), std::string::npos) << e.what();
  }
  // A unetx checkpoint carries its plan; --plan is then a mistake, and pruning needs UNet++.
  const auto unet = models::make_model(
      models::model_config("unet", 1, 2, 3, {"features=4,8"}));
  const fs::path ckpt = save(*unet, "unet.pt");
  ModelLoadOptions with_plan;
  with_plan.plan = dir_ / "plan.json";
  EXPECT_THROW(load_inference_model(ckpt, "cpu", with_plan), Error);
  ModelLoadOptions pruned;
  pruned.prune_level = 1;
  EXPECT_THROW(load_inference_model(ckpt, "cpu", pruned), Error);
  EXPECT_NO_THROW(load_inference_model(ckpt, "cpu"));
}

TEST_F(InferenceModelLoad, PrunedUNetPlusPlusHasTheShallowerDivisor) {
  const auto net = models::make_model(models::model_config(
      "unetpp", 1, 2, 3, {"features=4,8,16", "deep_supervision=true"}));
  const fs::path ckpt = save(*net, "unetpp.pt");
  ModelLoadOptions o;
  o.prune_level = 1;
  EXPECT_EQ(load_inference_model(ckpt, "cpu").model->size_divisor(), 4);
  EXPECT_EQ(load_inference_model(ckpt, "cpu", o).model->size_divisor(), 2);
}

}  // namespace
}  // namespace unetx::pipeline
