// Checkpoints of the whole zoo: a file refuses to load into another architecture, and a newer
// format is refused for every model, with a message that says what is wrong.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>

#include "io/error.h"
#include "models/checkpoint.h"
#include "models/registry.h"

namespace unetx::models {
namespace {

namespace fs = std::filesystem;

class CheckpointArchitecture : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("unetx-ckpt-arch-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static ModelPtr build(const std::string& name, nlohmann::json extra = nlohmann::json::object()) {
    auto c = model_config(name, 1, 2, 2);
    if (name != "unet_se_baseline") c["features"] = {4, 8, 16};  // the preset fixes them
    for (auto& item : extra.items()) c[item.key()] = item.value();
    return make_model(c);
  }

  static std::string reason_of(const std::function<void()>& f) {
    try {
      f();
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
      return e.reason();
    }
    ADD_FAILURE() << "expected unetx::Error";
    return "";
  }

  fs::path dir_;
};

TEST_F(CheckpointArchitecture, LoadingIntoAnotherModelNamesBothArchitectures) {
  auto unet = build("unet");
  const fs::path path = dir_ / "unet.ckpt";
  save_checkpoint(path, *unet, {});
  for (const char* other : {"unetpp", "eunet", "udtransnet"}) {
    auto target = build(other);
    const auto reason = reason_of([&] { load_weights_into(path, *target); });
    EXPECT_NE(reason.find("'unet'"), std::string::npos) << reason;
    EXPECT_NE(reason.find(std::string("'") + other + "'"), std::string::npos) << reason;
    EXPECT_NE(reason.find("different architecture"), std::string::npos) << reason;
  }
}

TEST_F(CheckpointArchitecture, SameModelWithOtherOptionsListsTheDifferingKeys) {
  auto saved = build("unetpp");
  const fs::path path = dir_ / "unetpp.ckpt";
  save_checkpoint(path, *saved, {});
  auto target = build("unetpp", {{"se", "cse"}, {"deep_supervision", false}});
  const auto reason = reason_of([&] { load_weights_into(path, *target); });
  EXPECT_NE(reason.find("se: checkpoint \"none\", requested \"cse\""), std::string::npos) << reason;
  EXPECT_NE(reason.find("deep_supervision"), std::string::npos) << reason;
}

TEST_F(CheckpointArchitecture, MatchingModelReceivesTheWeights) {
  torch::manual_seed(11);
  auto saved = build("eunet", {{"se", "monofractal"}});
  const fs::path path = dir_ / "eunet.ckpt";
  CheckpointMeta meta;
  meta.state = {{"epoch", 4}};
  save_checkpoint(path, *saved, meta);
  torch::manual_seed(12);
  auto target = build("eunet", {{"se", "monofractal"}});
  EXPECT_EQ(load_weights_into(path, *target).state.at("epoch"), 4);
  saved->eval();
  target->eval();
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({1, 1, 8, 8});
  EXPECT_TRUE(torch::equal(saved->forward(x), target->forward(x)));
}

TEST_F(CheckpointArchitecture, StoredConfigOfAnotherModelDoesNotFitTheWeights) {
  // Weights of a UNet++ under a U-Net config (a hand-edited or corrupt file).
  auto unetpp = build("unetpp");
  auto unet = build("unet");
  torch::serialize::OutputArchive archive, weights;
  archive.write("unetx_checkpoint", c10::IValue(std::string("unetx")));
  archive.write("format_version", c10::IValue(static_cast<int64_t>(kCheckpointVersion)));
  archive.write("model_config", c10::IValue(unet->config().dump()));
  archive.write("plan", c10::IValue(std::string("{}")));
  archive.write("state", c10::IValue(std::string("{}")));
  unetpp->save(weights);
  archive.write("model", weights);
  const fs::path path = dir_ / "mixed.ckpt";
  archive.save_to(path.string());
  const auto reason = reason_of([&] { load_checkpoint(path); });
  EXPECT_NE(reason.find("do not fit"), std::string::npos) << reason;
}

TEST_F(CheckpointArchitecture, NewerFormatIsRefusedForEveryModel) {
  for (const auto& name : model_names()) {
    auto model = build(name);
    torch::serialize::OutputArchive archive, weights;
    archive.write("unetx_checkpoint", c10::IValue(std::string("unetx")));
    archive.write("format_version", c10::IValue(static_cast<int64_t>(kCheckpointVersion + 1)));
    archive.write("model_config", c10::IValue(model->config().dump()));
    archive.write("plan", c10::IValue(std::string("{}")));
    archive.write("state", c10::IValue(std::string("{}")));
    model->save(weights);
    archive.write("model", weights);
    const fs::path path = dir_ / (name + ".ckpt");
    archive.save_to(path.string());
    const auto reason = reason_of([&] { load_checkpoint(path); });
    EXPECT_NE(reason.find("newer than this build"), std::string::npos) << name << ": " << reason;
    EXPECT_NE(reason_of([&] { load_weights_into(path, *model); }).find("newer"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace unetx::models
