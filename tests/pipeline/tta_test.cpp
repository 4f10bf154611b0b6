// Test-time mirroring: parsing of --tta, the mirrorings it stands for, and predictions of real
// (TorchScript) convolutions checked against values worked out by hand. A convolution whose
// kernel looks one voxel ahead along x and y is not flip-equivariant, so mirroring changes its
// output in a way that can be written down: mirrored along x, "one voxel ahead" becomes "one
// voxel behind".
#include "pipeline/tta.h"

#include <gtest/gtest.h>
#include <torch/script.h>
#include <unistd.h>

#include <filesystem>

#include "io/error.h"
#include "pipeline/inference.h"
#include "pipeline/plan.h"

namespace unetx::pipeline {
namespace {

namespace fs = std::filesystem;

TEST(MirrorAxes, ParsesNoneAllAndAxisLetters) {
  EXPECT_TRUE(MirrorAxes::parse("none").none());
  EXPECT_TRUE(MirrorAxes::parse("all").all);
  const MirrorAxes zx = MirrorAxes::parse("zx");
  EXPECT_TRUE(zx.x && zx.z && !zx.y && !zx.all);
  EXPECT_EQ(zx.to_string(), "xz");
  for (const char* bad : {"", "q", "xx", "x,y", "All"}) {
    try {
      MirrorAxes::parse(bad);
      ADD_FAILURE() << "'" << bad << "' was accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.subject(), "--tta");
    }
  }
}

TEST(MirrorAxes, AllIsEveryCombinationOfTheNetworksAxes) {
  using Flips = std::vector<std::vector<int64_t>>;
  // Windows are (B, C, Z, Y, X) in 3-D (x = dim 4) and (B, C, Y, X) in 2-D (x = dim 3).
  EXPECT_EQ(mirror_flips(MirrorAxes::parse("all"), 3),
            (Flips{{}, {4}, {3}, {4, 3}, {2}, {4, 2}, {3, 2}, {4, 3, 2}}));
  EXPECT_EQ(mirror_flips(MirrorAxes::parse("all"), 2), (Flips{{}, {3}, {2}, {3, 2}}));
  EXPECT_EQ(mirror_flips(MirrorAxes::parse("xy"), 3), (Flips{{}, {4}, {3}, {4, 3}}));
  EXPECT_EQ(mirror_flips(MirrorAxes::parse("z"), 3), (Flips{{}, {2}}));
  EXPECT_EQ(mirror_flips(MirrorAxes::parse("none"), 3), (Flips{{}}));
  EXPECT_THROW(mirror_flips(MirrorAxes::parse("xz"), 2), Error);
}

// t shifted so that out[i] = t[i + step] along `dim`, zero where that falls outside (the zero
// padding of a convolution).
at::Tensor ahead(const at::Tensor& t, int64_t dim, int step) {
  const auto zero = at::zeros_like(t.narrow(dim, 0, 1));
  return step > 0 ? at::cat({t.narrow(dim, 1, t.size(dim) - 1), zero}, dim)
                  : at::cat({zero, t.narrow(dim, 0, t.size(dim) - 1)}, dim);
}

class MirroredPrediction : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("unetx-tta-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // 1 -> 2 classes, 3x3x3 kernel with zero padding: logit 0 is 0; logit 1 at v is
  // a * x(v + 1 along x) + b * x(v + 1 along y), or with `symmetric` x(v - 1) + x(v) + x(v + 1)
  // along x, which mirroring leaves alone.
  InferenceModel conv_model(bool symmetric, int spatial_dims, const std::array<int64_t, 3>& patch) {
    const bool three = spatial_dims == 3;
    auto w = three ? torch::zeros({2, 1, 3, 3, 3}) : torch::zeros({2, 1, 3, 3});
    auto k = three ? w[1][0][1] : w[1][0];  // the (y, x) plane through the kernel's centre
    if (symmetric) {
      k[1][0] = 1.0f;
      k[1][1] = 1.0f;
      k[1][2] = 1.0f;
    } else {
      k[1][2] = kA;  // x + 1
      k[2][1] = kB;  // y + 1
    }
    torch::jit::Module m("Conv");
    m.register_parameter("weight", w, false);
    m.register_parameter("bias", torch::zeros({2}), false);
    m.define(three ? "def forward(self, x):\n"
                     "  return torch.conv3d(x, self.weight, self.bias, [1, 1, 1], [1, 1, 1])\n"
                   : "def forward(self, x):\n"
                     "  return torch.conv2d(x, self.weight, self.bias, [1, 1], [1, 1])\n");
    const fs::path file =
        dir_ / (std::string(symmetric ? "sym" : "asym") + std::to_string(spatial_dims) + ".pt");
    m.save(file.string());
    Plan plan;
    plan.spatial_dims = spatial_dims;
    plan.patch_size = patch;
    plan.save(dir_ / "plan.json");
    ModelLoadOptions o;
    o.plan = dir_ / "plan.json";
    return load_inference_model(file, "cpu", o);
  }

  static constexpr float kA = 1.0f;
  static constexpr float kB = 0.5f;
  fs::path dir_;
};

// Class-1 probability of the asymmetric model mirrored along x (mx) and/or y (my): with two
// classes it is sigmoid(logit 1 - logit 0), and mirroring turns x + 1 into x - 1.
at::Tensor expected_foreground(const at::Tensor& image, bool mx, bool my, int64_t x_dim) {
  return at::sigmoid(1.0f * ahead(image, x_dim, mx ? -1 : 1) +
                     0.5f * ahead(image, x_dim - 1, my ? -1 : 1));
}

TEST_F(MirroredPrediction, AveragesTheMirroredPredictionsOfAnAsymmetricKernel) {
  InferenceModel m = conv_model(false, 3, {8, 6, 5});
  torch::manual_seed(5);
  const at::Tensor image = at::randn({1, 5, 6, 8});  // one window: the patch
  InferenceOptions o;
  const at::Tensor plain = predict_probabilities(*m.model, image, m.plan, o)[1];
  const auto same = expected_foreground(image, false, false, 3);
  EXPECT_TRUE(at::allclose(plain, same, 1e-5, 1e-6));

  o.tta = MirrorAxes::parse("x");
  const at::Tensor x_only = predict_probabilities(*m.model, image, m.plan, o)[1];
  const auto mean_x = (same + expected_foreground(image, true, false, 3)) / 2;
  EXPECT_TRUE(at::allclose(x_only, mean_x, 1e-5, 1e-6));
  EXPECT_GT((x_only - plain).abs().max().item<double>(), 1e-2);  // mirroring mattered

  // All 8 mirrorings: mirroring along z changes nothing here, so each of the 4 x/y
  // combinations counts twice.
  o.tta = MirrorAxes::parse("all");
  const at::Tensor all = predict_probabilities(*m.model, image, m.plan, o);
  const auto mean_xy =
      (same + expected_foreground(image, true, false, 3) +
       expected_foreground(image, false, true, 3) + expected_foreground(image, true, true, 3)) /
      4;
  EXPECT_TRUE(at::allclose(all[1], mean_xy, 1e-5, 1e-6));
  EXPECT_TRUE(at::allclose(all[0] + all[1], at::ones_like(all[0]), 1e-5, 1e-6));
}

TEST_F(MirroredPrediction, TwoDimensionalNetworkMirrorsInPlane) {
  InferenceModel m = conv_model(false, 2, {7, 6, 1});
  torch::manual_seed(6);
  const at::Tensor image = at::randn({1, 3, 6, 7});  // 3 slices, each one window
  InferenceOptions o;
  o.tta = MirrorAxes::parse("all");
  const at::Tensor all = predict_probabilities(*m.model, image, m.plan, o)[1];
  const auto mean_xy =
      (expected_foreground(image, false, false, 3) + expected_foreground(image, true, false, 3) +
       expected_foreground(image, false, true, 3) + expected_foreground(image, true, true, 3)) /
      4;
  EXPECT_TRUE(at::allclose(all, mean_xy, 1e-5, 1e-6));
  o.tta = MirrorAxes::parse("z");
  EXPECT_THROW(predict_probabilities(*m.model, image, m.plan, o), Error);
}

TEST_F(MirroredPrediction, SymmetricKernelGivesTheSameWithAndWithoutMirroring) {
  // Several overlapping windows: mirroring commutes with the symmetric kernel window by window.
  InferenceModel m = conv_model(true, 3, {6, 6, 6});
  torch::manual_seed(7);
  const at::Tensor image = at::randn({1, 9, 11, 13});
  InferenceOptions o;
  const at::Tensor plain = predict_probabilities(*m.model, image, m.plan, o);
  o.tta = MirrorAxes::parse("all");
  const at::Tensor all = predict_probabilities(*m.model, image, m.plan, o);
  EXPECT_TRUE(at::allclose(all, plain, 1e-5, 1e-6));
}

}  // namespace
}  // namespace unetx::pipeline
