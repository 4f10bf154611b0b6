// Cross-validation predictions: each case is predicted by the model of its own fold (the one that
// never trained on it), the references carry the fold, and a missing fold model or a case the
// cohort lacks stops the run before anything is predicted.
#include "pipeline/cross_validation_run.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "io/error.h"
#include "io/image_io.h"
#include "io/manifest.h"
#include "models/checkpoint.h"
#include "models/registry.h"
#include "pipeline/cross_validation.h"
#include "pipeline/trainer.h"

namespace unetx::pipeline {
namespace {

namespace fs = std::filesystem;

class CrossValidationPredict : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("unetx-cv-predict-" + std::to_string(::getpid()));
    fs::create_directories(dir_ / "cohort");
    std::vector<io::ManifestRow> rows;
    for (int i = 0; i < 5; ++i) {
      const std::string id = "case" + std::to_string(i);
      io::Volume v;
      v.data = at::rand({1, 6, 7, 8});
      io::write_image(v, dir_ / "cohort" / (id + ".nii.gz"));
      v.data = at::zeros({1, 6, 7, 8}, at::kByte);
      io::write_image(v, dir_ / "cohort" / (id + "_label.nii.gz"));
      ids_.push_back(id);
      rows.push_back({id, {{"image", id + ".nii.gz"}, {"label", id + "_label.nii.gz"}}, "ok"});
    }
    io::write_manifest(dir_ / "cohort", {"image", "label"}, rows);
    folds_ = load_or_make_folds(dir_ / "train" / "splits.json", ids_, 2, /*seed=*/3);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Fold k's model answers class k everywhere: all weights 0, head bias favouring class k. The
  // prediction of a case then names the fold model that made it.
  void save_fold_model(int k) {
    auto net = models::make_model(models::model_config("unet", 1, 2, 3, {"features=4,8"}));
    torch::NoGradGuard no_grad;
    for (auto& p : net->named_parameters()) p.value().zero_();
    for (auto& p : net->named_parameters())
      if (p.key().rfind("head", 0) == 0 && p.key().find("bias") != std::string::npos)
        p.value()[k].fill_(5.0);
    Plan plan;
    plan.patch_size = {8, 8, 8};
    plan.labels = {"background", "organ"};
    models::CheckpointMeta meta;
    meta.model_config = net->config();
    meta.plan = plan.to_json();
    const fs::path folder = fold_directory(dir_ / "train", k);
    fs::create_directories(folder);
    models::save_checkpoint(folder / "checkpoint_best.pt", *net, meta);
  }

  CrossValidationPredictSettings settings() const {
    CrossValidationPredictSettings s;
    s.cohort = dir_ / "cohort" / "manifest.csv";
    s.training = dir_ / "train";
    s.output = dir_ / "cv";
    return s;
  }

  fs::path dir_;
  std::vector<std::string> ids_;
  Folds folds_;
};

TEST_F(CrossValidationPredict, EveryCaseIsPredictedByItsOwnFoldsModel) {
  save_fold_model(0);
  save_fold_model(1);
  dist::SingleProcess comm;
  const CrossValidationPredictions out = predict_cross_validation(settings(), comm);
  EXPECT_EQ(out.summary.ok, 5);
  EXPECT_EQ(out.summary.failed, 0);
  std::map<std::string, int> fold_of;
  for (int k = 0; k < folds_.count(); ++k)
    for (const auto& id : folds_.val[k]) fold_of[id] = k;
  ASSERT_EQ(fold_of.size(), 5u);
  for (const auto& id : ids_) {
    const io::Volume mask = io::read_image(out.predictions / (id + ".nii.gz"));
    // Fold 0's model says background everywhere, fold 1's says organ everywhere.
    EXPECT_EQ(mask.data.min().item<int>(), fold_of[id]) << id;
    EXPECT_EQ(mask.data.max().item<int>(), fold_of[id]) << id;
  }
  const auto refs = io::read_manifest(out.references);
  ASSERT_EQ(refs.size(), 5u);
  for (const auto& row : refs) {
    EXPECT_EQ(row.columns.at("fold"), std::to_string(fold_of[row.case_id]));
    EXPECT_TRUE(fs::exists(row.columns.at("label")));
  }
}

TEST_F(CrossValidationPredict, MissingFoldModelOrUnknownCaseStopsBeforeAnyPrediction) {
  save_fold_model(0);
  dist::SingleProcess comm;
  try {
    predict_cross_validation(settings(), comm);
    FAIL() << "fold 1 has no model";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("fold_1"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dir_ / "cv" / "fold_0" / "manifest.csv"));  // fold 0 never ran
  save_fold_model(1);
  fs::remove(dir_ / "cohort" / "case3.nii.gz");
  auto rows = io::read_manifest(dir_ / "cohort" / "manifest.csv");
  rows.erase(rows.begin() + 3);
  io::write_manifest(dir_ / "cohort", {"image", "label"}, rows);
  EXPECT_THROW(predict_cross_validation(settings(), comm), Error);
}

}  // namespace
}  // namespace unetx::pipeline
