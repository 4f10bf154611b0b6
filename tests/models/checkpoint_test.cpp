#include "models/checkpoint.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "io/error.h"
#include "models/registry.h"
#include "models/unet.h"

namespace unetx::models {
namespace {

namespace fs = std::filesystem;

class Checkpoint : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("unetx-ckpt-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // One Adam step on a fixed batch, so the optimizer has per-parameter state worth restoring.
  static void train_step(SegmentationModel& model, torch::optim::Optimizer& opt) {
    model.train();
    torch::manual_seed(7);
    const auto x = torch::randn({2, 1, 8, 8});
    const auto target = torch::randint(0, 2, {2, 8, 8}, torch::kLong);
    opt.zero_grad();
    torch::nn::functional::cross_entropy(model.forward(x), target).backward();
    opt.step();
  }

  // A torch archive laid out like a checkpoint, with a chosen version and config.
  static void write_fake(const fs::path& path, int64_t version, const nlohmann::json& config,
                         SegmentationModel& weights_from) {
    torch::serialize::OutputArchive archive;
    archive.write("unetx_checkpoint", c10::IValue(std::string("unetx")));
    archive.write("format_version", c10::IValue(version));
    archive.write("model_config", c10::IValue(config.dump()));
    archive.write("plan", c10::IValue(std::string("{}")));
    archive.write("state", c10::IValue(std::string("{}")));
    torch::serialize::OutputArchive weights;
    weights_from.save(weights);
    archive.write("model", weights);
    archive.save_to(path.string());
  }

  static ModelPtr tiny() { return make_unet(UNetOptions(1, 2).dims(2).features({4, 8})); }

  fs::path dir_;
};

TEST_F(Checkpoint, RoundTripRestoresWeightsMetaAndOptimizer) {
  torch::manual_seed(3);
  auto model = make_unet(UNetOptions(1, 2).dims(2).features({4, 8}).norm("batch"));
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(1e-2));
  train_step(*model, opt);

  CheckpointMeta meta;
  meta.plan = {{"patch_size", {8, 8}}, {"spacing", {1.0, 1.0}}};
  meta.state = {{"epoch", 3}, {"best_dice", 0.5}};
  const fs::path path = dir_ / "model.ckpt";
  save_checkpoint(path, *model, meta, &opt);
  ASSERT_TRUE(fs::exists(path));
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator{}), 1)
      << "no temporary file left behind";

  auto loaded = load_checkpoint(path);
  EXPECT_EQ(loaded.meta.format_version, kCheckpointVersion);
  EXPECT_EQ(loaded.meta.model_config, model->config());
  EXPECT_EQ(loaded.meta.plan, meta.plan);
  EXPECT_EQ(loaded.meta.state, meta.state);
  EXPECT_EQ(read_checkpoint_meta(path).state.at("epoch"), 3);

  model->eval();  // batch norm: running statistics must have been restored too
  const auto x = torch::randn({1, 1, 8, 8});
  {
    torch::NoGradGuard no_grad;
    EXPECT_TRUE(torch::equal(model->forward(x), loaded.model->forward(x)));
  }

  // The restored Adam moments make the next step identical; a fresh Adam would not.
  torch::optim::Adam restored(loaded.model->parameters(), torch::optim::AdamOptions(1e-2));
  ASSERT_TRUE(load_optimizer_state(path, restored));
  auto fresh_model = load_checkpoint(path).model;
  torch::optim::Adam fresh(fresh_model->parameters(), torch::optim::AdamOptions(1e-2));
  train_step(*model, opt);
  train_step(*loaded.model, restored);
  train_step(*fresh_model, fresh);
  const auto a = model->parameters(), b = loaded.model->parameters(), c = fresh_model->parameters();
  bool fresh_differs = false;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_TRUE(torch::allclose(a[i], b[i], 1e-6, 1e-7)) << "parameter " << i;
    fresh_differs = fresh_differs || !torch::allclose(a[i], c[i], 1e-6, 1e-7);
  }
  EXPECT_TRUE(fresh_differs) << "test cannot tell restored from fresh optimizer state";
}

TEST_F(Checkpoint, WithoutOptimizerLoadOptimizerStateReturnsFalse) {
  auto model = tiny();
  const fs::path path = dir_ / "weights.ckpt";
  save_checkpoint(path, *model, {});
  torch::optim::Adam opt(model->parameters());
  EXPECT_FALSE(load_optimizer_state(path, opt));
  EXPECT_TRUE(load_checkpoint(path).meta.plan.is_null());
}

TEST_F(Checkpoint, SaveReplacesAnExistingFile) {
  auto a = tiny(), b = make_unet(UNetOptions(1, 3).dims(2).features({4, 8}));
  const fs::path path = dir_ / "m.ckpt";
  save_checkpoint(path, *a, {});
  save_checkpoint(path, *b, {});
  EXPECT_EQ(load_checkpoint(path).model->num_classes(), 3);
}

TEST_F(Checkpoint, SaveIntoMissingFolderFailsWithoutDebris) {
  auto model = tiny();
  const fs::path path = dir_ / "no" / "such" / "m.ckpt";
  EXPECT_THROW(save_checkpoint(path, *model, {}), Error);
  EXPECT_FALSE(fs::exists(path));
}

void expect_error_naming(const fs::path& path, const std::string& reason_part) {
  try {
    load_checkpoint(path);
    FAIL() << "expected unetx::Error for " << path;
  } catch (const Error& e) {
    EXPECT_EQ(e.subject(), path.string());
    EXPECT_NE(std::string(e.what()).find(path.filename().string()), std::string::npos);
    EXPECT_NE(e.reason().find(reason_part), std::string::npos) << e.reason();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "one line: " << e.what();
  }
}

TEST_F(Checkpoint, MissingFileIsNamed) { expect_error_naming(dir_ / "absent.ckpt", "no such"); }

TEST_F(Checkpoint, CorruptFileIsNotACheckpoint) {
  const fs::path path = dir_ / "garbage.ckpt";
  std::ofstream(path) << "this is not a zip archive\n";
  expect_error_naming(path, "not a unetx checkpoint");
}

TEST_F(Checkpoint, PlainTorchArchiveIsNotACheckpoint) {
  const fs::path path = dir_ / "tensor.pt";
  torch::save(torch::ones({3}), path.string());
  expect_error_naming(path, "not a unetx checkpoint");
}

TEST_F(Checkpoint, NewerFormatVersionIsRefused) {
  auto model = tiny();
  const fs::path path = dir_ / "future.ckpt";
  write_fake(path, kCheckpointVersion + 1, model->config(), *model);
  expect_error_naming(path, "newer than this build");
  // The same layout with the current version loads, so the test pins the version check alone.
  write_fake(path, kCheckpointVersion, model->config(), *model);
  EXPECT_NO_THROW(load_checkpoint(path));
}

TEST_F(Checkpoint, WeightsThatDoNotFitTheConfigAreRefused) {
  auto model = tiny();
  const fs::path path = dir_ / "mismatch.ckpt";
  auto wider = model->config();
  wider["features"] = {4, 16};
  write_fake(path, kCheckpointVersion, wider, *model);
  expect_error_naming(path, "do not fit");

  auto deeper = model->config();
  deeper["features"] = {4, 8, 16};
  write_fake(path, kCheckpointVersion, deeper, *model);
  expect_error_naming(path, "do not fit");

  auto with_norm = make_unet(UNetOptions(1, 2).dims(2).features({4, 8}).norm("none"));
  write_fake(path, kCheckpointVersion, with_norm->config(), *model);  // model has norm weights
  expect_error_naming(path, "unexpected");
}

}  // namespace
}  // namespace unetx::models
