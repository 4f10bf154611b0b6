// TorchScript import without Python: the test scripts a small module in C++ (Module::define
// compiles TorchScript source), saves it with torch.jit's format and loads it back through the
// SegmentationModel wrapper.
#include "models/torchscript_model.h"

#include <gtest/gtest.h>
#include <torch/script.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "io/error.h"
#include "models/registry.h"

namespace unetx::models {
namespace {

namespace fs = std::filesystem;

class TorchScript : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("unetx-ts-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A 3x3 conv 2 -> 3 classes with padding 1 (logits keep the spatial size); `dims` 2 or 3.
  fs::path write_conv_module(int dims, bool with_attributes) {
    torch::jit::Module m("TinySeg");
    std::vector<int64_t> w = {3, 2, 3, 3};
    if (dims == 3) w.push_back(3);
    torch::manual_seed(13);
    m.register_parameter("weight", torch::randn(w) * 0.1, false);
    m.register_parameter("bias", torch::randn({3}), false);
    if (with_attributes) {
      m.register_attribute("num_classes", c10::IntType::get(), c10::IValue(int64_t{3}));
      m.register_attribute("in_channels", c10::IntType::get(), c10::IValue(int64_t{2}));
      m.register_attribute("spatial_dims", c10::IntType::get(), c10::IValue(int64_t{dims}));
    }
    const std::string op = dims == 2 ? "conv2d" : "conv3d";
    const std::string one = dims == 2 ? "[1, 1]" : "[1, 1, 1]";
    m.define("def forward(self, x):\n  return torch." + op + "(x, self.weight, self.bias, " +
             one + ", " + one + ", " + one + ", 1)\n");
    const fs::path path = dir_ / ("tiny" + std::to_string(dims) + ".pt");
    m.save(path.string());
    return path;
  }

  fs::path dir_;
};

TEST_F(TorchScript, ScriptedModuleRunsAsASegmentationModel) {
  for (int dims : {2, 3}) {
    const auto path = write_conv_module(dims, true);
    auto model = load_torchscript_model(path, {});
    EXPECT_EQ(model->spatial_dims(), dims) << "attributes win over the defaults";
    EXPECT_EQ(model->in_channels(), 2);
    EXPECT_EQ(model->num_classes(), 3);
    EXPECT_EQ(model->config().at("name"), "torchscript");
    std::vector<int64_t> shape = {2, 2, 6, 5};
    if (dims == 3) shape.push_back(4);
    const auto x = torch::randn(shape);
    const auto y = model->forward(x);
    const auto p = model->named_parameters();
    const auto expected = dims == 2 ? torch::conv2d(x, p["weight"], p["bias"], 1, 1)
                                    : torch::conv3d(x, p["weight"], p["bias"], 1, 1);
    EXPECT_TRUE(torch::allclose(y, expected, 1e-5, 1e-6));
  }
}

TEST_F(TorchScript, GradientsFlowToTheInputAndTheParameters) {
  auto model = load_torchscript_model(write_conv_module(2, true), {});
  EXPECT_EQ(parameter_count(*model), 3 * 2 * 9 + 3);
  for (auto& p : model->parameters()) p.set_requires_grad(true);
  auto x = torch::randn({1, 2, 8, 8}).requires_grad_(true);
  model->forward(x).select(1, 1).sum().backward();
  ASSERT_TRUE(x.grad().defined());
  EXPECT_GT(x.grad().abs().sum().item<double>(), 0.0);
  for (const auto& p : model->parameters()) ASSERT_TRUE(p.grad().defined());
}

TEST_F(TorchScript, ClassCountIsProbedWhenNotDeclared) {
  auto model = load_torchscript_model(write_conv_module(3, false),
                                      TorchScriptInfo{3, 2, 0, 1});
  EXPECT_EQ(model->num_classes(), 3);
}

TEST_F(TorchScript, BadFilesGiveClearErrors) {
  EXPECT_THROW(load_torchscript_model(dir_ / "absent.pt", {}), Error);
  const fs::path junk = dir_ / "junk.pt";
  std::ofstream(junk) << "not a zip";
  try {
    load_torchscript_model(junk, {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(e.reason().find("not a TorchScript file"), std::string::npos) << e.what();
  }
  // A 3-D module declared as 2-D: the probe pass fails with the file named.
  EXPECT_THROW(load_torchscript_model(write_conv_module(3, false), TorchScriptInfo{2, 2, 0, 1}),
               Error);
  EXPECT_TRUE(looks_like_torchscript("model.pt"));
  EXPECT_FALSE(looks_like_torchscript("model.ckpt"));
}

}  // namespace
}  // namespace unetx::models
