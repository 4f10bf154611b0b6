// Ensembles of checkpoints: the averaged prediction is the mean of the members' own predictions,
// and members whose plans differ are refused with the file and the key.
#include "pipeline/ensemble.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "io/error.h"
#include "models/checkpoint.h"
#include "models/registry.h"

namespace unetx::pipeline {
namespace {

namespace fs = std::filesystem;

class Ensemble : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("unetx-ensemble-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    plan_.patch_size = {8, 8, 8};
    plan_.target_spacing = {1.0, 1.0, 1.5};
    plan_.labels = {"background", "liver", "tumour"};
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A randomly initialised U-Net (seeded) saved as a checkpoint with `plan`.
  fs::path save(int seed, const Plan& plan, const std::string& name) {
    torch::manual_seed(seed);
    auto net = models::make_model(models::model_config("unet", 1, 3, 3, {"features=4,8"}));
    models::CheckpointMeta meta;
    meta.model_config = net->config();
    meta.plan = plan.to_json();
    const fs::path path = dir_ / name;
    models::save_checkpoint(path, *net, meta);
    return path;
  }

  io::Volume image() const {
    torch::manual_seed(11);
    io::Volume v;
    v.data = at::randn({1, 9, 12, 10});  // (C, Z, Y, X), z spacing 2 -> 12 plan rows
    v.geometry.spacing = {1.0, 1.0, 2.0};
    return v;
  }

  fs::path dir_;
  Plan plan_;
};

TEST_F(Ensemble, AverageOfTwoCheckpointsIsTheMeanOfTheirPredictions) {
  const fs::path a = save(1, plan_, "a.ckpt"), b = save(2, plan_, "b.ckpt");
  InferenceModel ma = load_inference_model(a), mb = load_inference_model(b);
  const InferenceEnsemble e = load_inference_ensemble({a, b});
  ASSERT_EQ(e.members.size(), 2u);

  InferenceOptions o;
  o.tta = MirrorAxes::parse("x");
  const CasePrediction pa = predict_case(ma, "c", image(), o);
  const CasePrediction pb = predict_case(mb, "c", image(), o);
  const CasePrediction pe = predict_case(e, "c", image(), o);
  ASSERT_EQ(pe.probs.sizes(), pa.probs.sizes());
  EXPECT_GT((pa.probs - pb.probs).abs().max().item<double>(), 1e-3);  // the members disagree
  EXPECT_TRUE(at::allclose(pe.probs, (pa.probs + pb.probs) / 2, 1e-5, 1e-6));
  EXPECT_TRUE(
      at::allclose(pe.probs_original, (pa.probs_original + pb.probs_original) / 2, 1e-5, 1e-6));
  const auto mean_labels = ((pa.probs_original + pb.probs_original) / 2).argmax(0, true);
  EXPECT_TRUE(pe.labels.data.to(at::kLong).equal(mean_labels));
  // The plan-grid entry point averages the same way.
  const at::Tensor direct = predict_probabilities(e.networks(), pe.prepared.image, e.plan(), o);
  EXPECT_TRUE(at::allclose(direct, pe.probs, 1e-6, 1e-7));
}

TEST_F(Ensemble, MembersWithAnotherPlanAreRefusedNamingFileAndKey) {
  const fs::path a = save(1, plan_, "a.ckpt");
  Plan other = plan_;
  other.patch_size = {16, 16, 8};
  const fs::path c = save(3, other, "c.ckpt");
  try {
    load_inference_ensemble({a, c});
    FAIL() << "members with different patch sizes must be refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.subject(), c.string());
    EXPECT_NE(e.reason().find("patch_size"), std::string::npos) << e.what();
    EXPECT_NE(e.reason().find(a.string()), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
  }
}

TEST(PlanDifference, NamesTheFirstKeyThatChangesPredictions) {
  Plan a, b;
  EXPECT_EQ(plan_difference(a, b), "");
  b.num_cases = 40;  // the cohort fingerprint and the training batch do not matter
  b.batch_size = 7;
  b.network = {{"name", "unetpp"}};
  EXPECT_EQ(plan_difference(a, b), "");
  b.target_spacing[2] = 3.0;
  EXPECT_EQ(plan_difference(a, b), "target_spacing");
  b = a;
  b.labels = {"background", "liver"};
  a.labels = {"background", "kidney"};
  EXPECT_EQ(plan_difference(a, b), "labels");
  b = a;
  b.in_channels = 2;
  EXPECT_EQ(plan_difference(a, b), "in_channels");
}

TEST_F(Ensemble, ImageWithOtherChannelsNamesTheCaseAndBothCounts) {
  InferenceModel m = load_inference_model(save(1, plan_, "a.ckpt"));
  io::Volume two = image();
  two.data = at::cat({two.data, two.data}, 0);
  try {
    predict_case(m, "case_7", two);
    FAIL() << "a 2-channel image must be refused by a 1-channel model";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "case_7: image has 2 channel(s), the model expects 1");
  }
}

}  // namespace
}  // namespace unetx::pipeline
