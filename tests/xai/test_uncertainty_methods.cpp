// The uncertainty method registry on real networks: MC dropout with p = 0 and an ensemble of two
// identical checkpoints have nothing to disagree about (zero variance and mutual information),
// while p = 0.5 and two different checkpoints do; the TTA augmentations; method parsing.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>

#include "io/error.h"
#include "models/checkpoint.h"
#include "models/mc_dropout.h"
#include "models/registry.h"
#include "xai/uncertainty.h"
#include "xai/uncertainty_methods.h"
#include "xai/uncertainty_tta.h"

namespace unetx::xai {
namespace {

namespace fs = std::filesystem;

// logits = head(dropout(stem(x))), 1x1 convolutions in 2-D, 1 -> 8 -> 3 channels.
class DropoutModel : public models::SegmentationModel {
 public:
  explicit DropoutModel(double p) {
    torch::manual_seed(5);
    stem_ = register_module("stem", torch::nn::Conv2d(1, 8, 1));
    dropout_ = register_module("dropout", torch::nn::Dropout(p));
    head_ = register_module("head", torch::nn::Conv2d(8, 3, 1));
  }
  torch::Tensor forward(torch::Tensor x) override {
    return head_->forward(dropout_->forward(torch::relu(stem_->forward(x))));
  }
  int spatial_dims() const override { return 2; }
  int64_t in_channels() const override { return 1; }
  int64_t num_classes() const override { return 3; }
  int64_t size_divisor() const override { return 1; }
  nlohmann::json config() const override { return {{"name", "dropout_model"}}; }
  std::vector<std::string> tap_names() const override { return {}; }

 private:
  torch::nn::Conv2d stem_{nullptr}, head_{nullptr};
  torch::nn::Dropout dropout_{nullptr};
};

SampleStatistics mc_samples(double p) {
  DropoutModel model(p);
  EXPECT_EQ(models::set_mc_dropout(model, true), 1);
  torch::manual_seed(9);
  const at::Tensor x = at::randn({1, 1, 6, 6});
  return mc_dropout([&] { return torch::softmax(model.forward(x), 1)[0]; }, 6);
}

TEST(McDropoutModel, ZeroDropoutGivesZeroVarianceAndMutualInformation) {
  const SampleStatistics r = mc_samples(0.0);
  EXPECT_EQ(r.variance.abs().max().item<float>(), 0.0f);
  EXPECT_EQ(r.mutual_information.abs().max().item<float>(), 0.0f);
  EXPECT_GT(r.entropy.max().item<float>(), 0.1f);  // the prediction itself is not certain
  EXPECT_DOUBLE_EQ(volume_cv(r.foreground_voxels), 0.0);
}

TEST(McDropoutModel, HalfDropoutVaries) {
  const SampleStatistics r = mc_samples(0.5);
  EXPECT_GT(r.variance.max().item<float>(), 1e-4f);
  EXPECT_GT(r.mutual_information.max().item<float>(), 1e-4f);
}

class Methods : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("unetx-unc-methods-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    plan_.patch_size = {8, 8, 8};
    plan_.labels = {"background", "a", "b"};
    torch::manual_seed(2);
    image_ = at::randn({1, 8, 8, 8});
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A seeded random U-Net; features 4,8,16 give it two decoder levels.
  fs::path save(int seed, const std::string& name, const std::string& features = "4,8,16") {
    torch::manual_seed(seed);
    auto net = models::make_model(
        models::model_config("unet", 1, 3, 3, {"features=" + features}));
    models::CheckpointMeta meta;
    meta.model_config = net->config();
    meta.plan = plan_.to_json();
    const fs::path path = dir_ / name;
    models::save_checkpoint(path, *net, meta);
    return path;
  }

  static const UncertaintyMethod& method(const std::string& name) {
    return *parse_methods(name).front();
  }

  fs::path dir_;
  pipeline::Plan plan_;
  at::Tensor image_;
};

TEST_F(Methods, EnsembleOfTwoIdenticalCheckpointsHasZeroMutualInformation) {
  const fs::path a = save(1, "a.pt");
  pipeline::InferenceEnsemble same = pipeline::load_inference_ensemble({a, a});
  UncertaintyOptions o;
  method("ensemble").check(same, o);
  const MethodResult r = method("ensemble").run(same, image_, o);
  ASSERT_EQ(r.maps.size(), 3u);
  EXPECT_EQ(r.maps[0].first, "entropy");
  EXPECT_EQ(r.maps[1].first, "mi");
  EXPECT_EQ(r.maps[2].first, "variance");
  EXPECT_EQ(r.maps[1].second.abs().max().item<float>(), 0.0f);
  EXPECT_EQ(r.maps[2].second.abs().max().item<float>(), 0.0f);
  EXPECT_GT(r.maps[0].second.max().item<float>(), 0.1f);
  EXPECT_EQ(r.foreground_voxels.size(), 2u);

  pipeline::InferenceEnsemble different = pipeline::load_inference_ensemble({a, save(2, "b.pt")});
  const MethodResult d = method("ensemble").run(different, image_, o);
  EXPECT_GT(d.maps[1].second.max().item<float>(), 1e-4f);
}

TEST_F(Methods, SingleModelMethodsRefuseWhatTheyCannotUse) {
  pipeline::InferenceEnsemble one = pipeline::load_inference_ensemble({save(1, "a.pt")});
  UncertaintyOptions o;
  EXPECT_THROW(method("ensemble").check(one, o), Error);     // one member
  EXPECT_THROW(method("mc_dropout").check(one, o), Error);   // no dropout layer
  EXPECT_NO_THROW(method("collaboration").check(one, o));    // a U-Net has a decoder pyramid
  const MethodResult r = method("collaboration").run(one, image_, o);
  EXPECT_EQ(r.maps[0].first, "uncertainty");
  EXPECT_GE(r.maps[1].second.min().item<float>(), -1.0f);
  EXPECT_LE(r.maps[1].second.max().item<float>(), 1.0f);
  EXPECT_TRUE(at::allclose(r.maps[0].second, (1 - r.maps[1].second) / 2));
  // The single pass qualifies the same prediction as the entropy baseline.
  const MethodResult base = method("entropy").run(one, image_, o);
  EXPECT_TRUE(at::allclose(r.mean_probs, base.mean_probs, 1e-5, 1e-5));
  // One decoder level is no pyramid to compare levels in.
  pipeline::InferenceEnsemble flat =
      pipeline::load_inference_ensemble({save(1, "flat.pt", "4,8")});
  EXPECT_THROW(method("collaboration").check(flat, o), Error);
}

TEST_F(Methods, TtaSamplesEveryMirroringAndBothRotations) {
  pipeline::InferenceEnsemble one = pipeline::load_inference_ensemble({save(1, "a.pt")});
  UncertaintyOptions o;
  o.rotation_degrees = 10;
  const MethodResult r = method("tta").run(one, image_, o);
  EXPECT_EQ(r.foreground_voxels.size(), 8u + 2u);  // 2^3 mirrorings + two rotations
  EXPECT_EQ(r.maps.size(), 2u);
  EXPECT_EQ(tta_augmentations(pipeline::MirrorAxes::parse("x"), 2, 0).size(), 2u);
  EXPECT_EQ(tta_augmentations(pipeline::MirrorAxes{}, 2, 5).size(), 6u);
}

TEST(Rotation, QuarterTurnOfASquareWindowIsRot90AndUndoes) {
  const at::Tensor x = at::arange(2 * 16, at::kFloat).view({1, 2, 4, 4});
  // Output (i, j) samples input (j, 3 - i): torch's rot90 by one quarter over (Y, X).
  EXPECT_TRUE(at::allclose(rotate_in_plane(x, 90), x.rot90(1, {-2, -1}), 1e-4, 1e-4));
  const Augmentation a{{3}, 90};
  EXPECT_TRUE(at::allclose(unaugment(augment(x, a), a), x, 1e-4, 1e-4));
}

TEST(ParseMethods, KeepsOrderAcceptsDashesAndNamesTheChoices) {
  const auto m = parse_methods("mc-dropout,tta,entropy");
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0]->name, "mc_dropout");
  EXPECT_EQ(m[1]->name, "tta");
  EXPECT_EQ(m[2]->name, "entropy");
  try {
    parse_methods("entropy,bogus");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("collaboration"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_methods("tta,tta"), Error);
}

}  // namespace
}  // namespace unetx::xai
