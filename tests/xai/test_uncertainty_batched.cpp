// Sample statistics in one sliding-window loop (xai/uncertainty_batched.h): hand-computed window
// statistics, the Gaussian blend of per-window statistics over overlapping windows computed
// voxel by voxel in doubles, and, on one window, the same result as the one-pass-per-sample path
// (sample_statistics over whole-image predictions) for TTA and MC dropout.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "io/error.h"
#include "models/eunet.h"
#include "xai/uncertainty.h"
#include "xai/uncertainty_batched.h"
#include "xai/uncertainty_methods.h"
#include "xai/uncertainty_tta.h"

namespace unetx::xai {
namespace {

TEST(WindowSampleStatistics, MatchesHandComputedMeanInformationAndVariance) {
  // (N = 2, B = 1, K = 2, 1, 2): voxel 0 samples [1,0] and [0,1]; voxel 1 twice [0.8, 0.2].
  const at::Tensor s = torch::tensor({1.0f, 0.8f, 0.0f, 0.2f, 0.0f, 0.8f, 1.0f, 0.2f})
                           .view({2, 1, 2, 1, 2});
  const at::Tensor r = window_sample_statistics(s);
  ASSERT_EQ(r.sizes(), at::IntArrayRef({1, 4, 1, 2}));
  EXPECT_NEAR(r[0][0][0][0].item<float>(), 0.5f, 1e-7);
  EXPECT_NEAR(r[0][1][0][0].item<float>(), 0.5f, 1e-7);
  EXPECT_NEAR(r[0][2][0][0].item<float>(), std::log(2.0f), 1e-6);  // ln 2 - 0
  EXPECT_NEAR(r[0][3][0][0].item<float>(), 0.25f, 1e-7);           // each class: var 1/4
  EXPECT_FLOAT_EQ(r[0][0][0][1].item<float>(), 0.8f);
  EXPECT_EQ(r[0][2][0][1].item<float>(), 0.0f);  // identical samples: exactly 0
  EXPECT_EQ(r[0][3][0][1].item<float>(), 0.0f);
}

double sigmoid(double v) { return 1.0 / (1.0 + std::exp(-v)); }

TEST(WindowedSampleStatistics, BlendsPerWindowStatisticsWithGaussianWeights) {
  // One row of 6 voxels, 2-D windows 4 wide at x = 0 and x = 2 (overlap 0.5). Sample t of a
  // window predicts foreground probability sigmoid((x + window mean) (t + 1)), so the windows
  // disagree where they overlap.
  const std::vector<double> x = {-1.0, 0.5, 2.0, -0.3, 0.8, -1.5};
  const at::Tensor image = torch::tensor(std::vector<float>(x.begin(), x.end())).view({1, 1, 1, 6});
  pipeline::SlidingWindowOptions sw;
  sw.spatial_dims = 2;
  sw.patch_xyz = {4, 1, 1};
  sw.overlap = 0.5;
  sw.batch_size = 1;
  const int n = 3;
  auto fn = [](const at::Tensor& w, int first, int count) {
    std::vector<at::Tensor> out;
    for (int t = first; t < first + count; ++t) {
      const at::Tensor s = ((w + w.mean({2, 3}, true)) * (t + 1)).sigmoid();
      out.push_back(at::cat({1 - s, s}, 1));
    }
    return at::stack(out);
  };
  const SampleStatistics r = windowed_sample_statistics(image, 2, sw, n, 2, fn);

  // By hand: Gaussian of a 4-wide window, sigma = 0.125 * 4, peak 1.
  const double e = std::exp(-1.5 * 1.5 / 0.5) / std::exp(-0.5 * 0.5 / 0.5);
  const std::vector<double> g = {e, 1, 1, e};
  const int starts[2] = {0, 2};
  std::vector<double> w_sum(6, 0), mean1(6, 0), mi(6, 0), var(6, 0), vol(n, 0);
  for (int a : starts) {
    const double wm = (x[a] + x[a + 1] + x[a + 2] + x[a + 3]) / 4;
    for (int i = 0; i < 4; ++i) {
      double m = 0, h = 0, m2 = 0;
      for (int t = 0; t < n; ++t) {
        const double s = sigmoid((x[a + i] + wm) * (t + 1));
        m += s / n;
        m2 += s * s / n;
        h += -(s * std::log(s) + (1 - s) * std::log(1 - s)) / n;
      }
      const double hm = -(m * std::log(m) + (1 - m) * std::log(1 - m));
      w_sum[a + i] += g[i];
      mean1[a + i] += g[i] * m;
      mi[a + i] += g[i] * (hm - h);
      var[a + i] += g[i] * (m2 - m * m);  // both classes have the same variance
    }
  }
  for (int a : starts) {
    const double wm = (x[a] + x[a + 1] + x[a + 2] + x[a + 3]) / 4;
    for (int i = 0; i < 4; ++i)
      for (int t = 0; t < n; ++t)
        vol[t] += g[i] / w_sum[a + i] * (sigmoid((x[a + i] + wm) * (t + 1)) > 0.5 ? 1 : 0);
  }
  for (int v = 0; v < 6; ++v) {
    const double m = mean1[v] / w_sum[v];
    EXPECT_NEAR(r.mean_probs[1][0][0][v].item<float>(), m, 1e-5) << v;
    EXPECT_NEAR(r.mean_probs[0][0][0][v].item<float>(), 1 - m, 1e-5) << v;
    EXPECT_NEAR(r.mutual_information[0][0][0][v].item<float>(), mi[v] / w_sum[v], 1e-5) << v;
    EXPECT_NEAR(r.variance[0][0][0][v].item<float>(), var[v] / w_sum[v], 1e-5) << v;
    EXPECT_NEAR(r.entropy[0][0][0][v].item<float>(),
                -(m * std::log(m) + (1 - m) * std::log(1 - m)), 1e-5) << v;
  }
  ASSERT_EQ(r.foreground_voxels.size(), static_cast<size_t>(n));
  for (int t = 0; t < n; ++t) EXPECT_NEAR(r.foreground_voxels[t], vol[t], 1e-5) << t;
}

TEST(WindowedSampleStatistics, RejectsNoSamplesAndWrongShapes) {
  pipeline::SlidingWindowOptions sw;
  sw.patch_xyz = {2, 2, 2};
  const at::Tensor image = at::zeros({1, 2, 2, 2});
  auto fn = [](const at::Tensor& w, int, int count) {
    return at::zeros({count, w.size(0), 3, 2, 2, 2});
  };
  EXPECT_THROW(windowed_sample_statistics(image, 2, sw, 0, 1, fn), Error);
  EXPECT_THROW(windowed_sample_statistics(image, 2, sw, 2, 1, fn), Error);  // 3 classes, not 2
}

// logits = head(dropout(stem(x))), 1x1x1 convolutions, 1 -> 6 -> 3 channels: MC dropout with
// a dropout module of any p.
class DropoutNet : public models::SegmentationModel {
 public:
  explicit DropoutNet(double p) {
    torch::manual_seed(5);
    stem_ = register_module("stem", torch::nn::Conv3d(1, 6, 1));
    dropout_ = register_module("dropout", torch::nn::Dropout(p));
    head_ = register_module("head", torch::nn::Conv3d(6, 3, 1));
  }
  torch::Tensor forward(torch::Tensor x) override {
    return head_->forward(dropout_->forward(torch::relu(stem_->forward(x))));
  }
  int spatial_dims() const override { return 3; }
  int64_t in_channels() const override { return 1; }
  int64_t num_classes() const override { return 3; }
  int64_t size_divisor() const override { return 1; }
  nlohmann::json config() const override { return {{"name", "dropout_net"}}; }
  std::vector<std::string> tap_names() const override { return {}; }

 private:
  torch::nn::Conv3d stem_{nullptr}, head_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
};

// One 8^3 window covers the 8^3 image, so the windowed statistics must equal those of one
// whole-image prediction per sample.
pipeline::InferenceEnsemble one_window(models::ModelPtr net) {
  pipeline::InferenceModel m;
  m.model = std::move(net);
  m.model->eval();
  m.plan.patch_size = {8, 8, 8};
  m.plan.labels = {"background", "a", "b"};
  pipeline::InferenceEnsemble e;
  e.members.push_back(m);
  e.files.push_back("net.pt");
  return e;
}

const UncertaintyMethod& method(const std::string& name) { return *parse_methods(name).front(); }

at::Tensor test_image() {
  torch::manual_seed(2);
  return at::randn({1, 8, 8, 8});
}

TEST(BatchedMethods, TtaEqualsOnePassPerAugmentation) {
  torch::manual_seed(3);
  models::UNetOptions backbone(1, 3);
  backbone.dims(3).features({4, 8, 16});
  pipeline::InferenceEnsemble e = one_window(models::make_eunet(models::EUNetOptions(backbone)));
  const at::Tensor image = test_image();
  UncertaintyOptions o;
  o.rotation_degrees = 10;  // 10 augmentations: forwards of 4, 4 and 2
  const MethodResult r = method("tta").run(e, image, o);
  models::SegmentationModel& net = *e.members[0].model;
  const auto augs = tta_augmentations(o.inference.tta, 3, o.rotation_degrees);
  size_t next = 0;
  auto sample = [&] {
    const Augmentation& a = augs.at(next++);
    return unaugment(torch::softmax(net.forward(augment(image.unsqueeze(0), a)), 1), a)[0];
  };
  const SampleStatistics s = sample_statistics(sample, static_cast<int>(augs.size()));
  EXPECT_TRUE(at::allclose(r.mean_probs, s.mean_probs, 1e-5, 1e-5));
  ASSERT_EQ(r.maps.size(), 2u);
  EXPECT_TRUE(at::allclose(r.maps[0].second, s.entropy, 1e-5, 1e-5));
  EXPECT_TRUE(at::allclose(r.maps[1].second, s.variance, 1e-5, 1e-5));
  EXPECT_GT(s.variance.max().item<float>(), 1e-6f);  // the augmentations do disagree
  EXPECT_EQ(r.foreground_voxels, s.foreground_voxels);
}

TEST(BatchedMethods, ZeroDropoutSamplesAllEqualTheSinglePass) {
  pipeline::InferenceEnsemble e = one_window(std::make_shared<DropoutNet>(0.0));
  const at::Tensor image = test_image();
  UncertaintyOptions o;
  o.samples = 6;  // forwards of 4 and 2 copies
  const MethodResult r = method("mc_dropout").run(e, image, o);
  const MethodResult base = method("entropy").run(e, image, o);
  EXPECT_TRUE(at::allclose(r.mean_probs, base.mean_probs, 1e-6, 1e-6));
  EXPECT_TRUE(at::allclose(r.maps[0].second, base.maps[0].second, 1e-6, 1e-6));
  EXPECT_LE(r.maps[1].second.abs().max().item<float>(), 1e-7f);  // mutual information
  EXPECT_LE(r.maps[2].second.abs().max().item<float>(), 1e-7f);  // variance
  ASSERT_EQ(r.foreground_voxels.size(), 6u);
  for (double v : r.foreground_voxels) EXPECT_EQ(v, base.foreground_voxels.at(0));
}

TEST(BatchedMethods, HalfDropoutVariesAndRepeatsUnderTheSameSeed) {
  pipeline::InferenceEnsemble e = one_window(std::make_shared<DropoutNet>(0.5));
  const at::Tensor image = test_image();
  UncertaintyOptions o;
  o.samples = 8;
  torch::manual_seed(11);
  const MethodResult a = method("mc_dropout").run(e, image, o);
  torch::manual_seed(11);
  const MethodResult b = method("mc_dropout").run(e, image, o);
  torch::manual_seed(12);
  const MethodResult c = method("mc_dropout").run(e, image, o);
  EXPECT_TRUE(at::equal(a.maps[2].second, b.maps[2].second));
  EXPECT_TRUE(at::equal(a.mean_probs, b.mean_probs));
  EXPECT_FALSE(at::equal(a.mean_probs, c.mean_probs));
  EXPECT_GT(a.maps[2].second.max().item<float>(), 1e-4f);
  EXPECT_GT(a.maps[1].second.max().item<float>(), 1e-4f);
}

}  // namespace
}  // namespace unetx::xai
