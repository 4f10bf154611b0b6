#include "pipeline/plan.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "io/error.h"

namespace fs = std::filesystem;
using unetx::Error;
using unetx::pipeline::Plan;

namespace {

fs::path temp_dir(const std::string& name) {
  auto dir = fs::temp_directory_path() /
             ("unetx_plan_test_" + name + "_" +
              std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

Plan example_plan() {
  Plan p;
  p.num_cases = 7;
  p.median_spacing = {0.9, 0.9, 2.5};
  p.median_size = {256, 240, 60};
  p.target_spacing = {1.0, 1.0, 2.0};
  p.in_channels = 2;
  p.labels = {"background", "liver", "tumour"};
  p.spatial_dims = 3;
  p.patch_size = {96, 96, 48};
  p.batch_size = 3;
  p.network = {{"name", "unet"}, {"features", {16, 32, 64}}};
  return p;
}

}  // namespace

TEST(Plan, SaveLoadRoundTripKeepsEveryField) {
  const auto dir = temp_dir("roundtrip");
  const Plan p = example_plan();
  p.save(dir / "plan.json");
  const Plan q = Plan::load(dir / "plan.json");
  EXPECT_EQ(q.num_cases, 7);
  EXPECT_EQ(q.median_spacing, p.median_spacing);
  EXPECT_EQ(q.median_size, p.median_size);
  EXPECT_EQ(q.target_spacing, p.target_spacing);
  EXPECT_EQ(q.in_channels, 2);
  EXPECT_EQ(q.labels, p.labels);
  EXPECT_EQ(q.num_classes(), 3);
  EXPECT_EQ(q.patch_size, p.patch_size);
  EXPECT_EQ(q.batch_size, 3);
  EXPECT_EQ(q.network, p.network);
  EXPECT_EQ(q.to_json()["format_version"], Plan::kFormatVersion);
  // No temporary left behind.
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir)) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
  fs::remove_all(dir);
}

TEST(Plan, MissingFileSaysRunPreprocess) {
  const auto dir = temp_dir("missing");
  try {
    Plan::load(dir / "plan.json");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.subject(), (dir / "plan.json").string());
    EXPECT_NE(e.reason().find("unetx preprocess"), std::string::npos);
  }
  fs::remove_all(dir);
}

TEST(Plan, NewerVersionIsRefusedNamingTheFile) {
  const auto dir = temp_dir("newer");
  auto j = example_plan().to_json();
  j["format_version"] = Plan::kFormatVersion + 1;
  std::ofstream(dir / "plan.json") << j.dump();
  try {
    Plan::load(dir / "plan.json");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.subject(), (dir / "plan.json").string());
    EXPECT_NE(e.reason().find("newer"), std::string::npos);
  }
  fs::remove_all(dir);
}

TEST(Plan, MissingKeyIsRefusedNamingKeyAndFile) {
  const auto dir = temp_dir("key");
  auto j = example_plan().to_json();
  j.erase("target_spacing");
  std::ofstream(dir / "plan.json") << j.dump();
  try {
    Plan::load(dir / "plan.json");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.subject(), (dir / "plan.json").string());
    EXPECT_NE(e.reason().find("target_spacing"), std::string::npos);
  }
  fs::remove_all(dir);
}

TEST(Plan, FromJsonRejectsInconsistentValues) {
  auto j = example_plan().to_json();
  j["spatial_dims"] = 2;  // with patch z = 48
  EXPECT_THROW(Plan::from_json(j), Error);
  j = example_plan().to_json();
  j["target_spacing"] = {1.0, 0.0, 1.0};
  EXPECT_THROW(Plan::from_json(j), Error);
  j = example_plan().to_json();
  j.erase("format_version");
  EXPECT_THROW(Plan::from_json(j), Error);
}

TEST(Plan, NewFieldsRoundTrip) {
  Plan p = example_plan();
  unetx::pipeline::ChannelNormalization ct;
  ct.scheme = "ct";
  ct.clip_low = -958;
  ct.clip_high = 327;
  ct.mean = 82.9;
  ct.std = 136.9;
  p.channel_normalization = {ct, unetx::pipeline::ChannelNormalization{}};
  p.normalization = "mixed";
  p.modality = {"CT", "PT"};
  p.crop_to_nonzero = true;
  p.memory_budget_gb = 4;
  p.estimated_memory_gb = 3.5;
  p.fingerprint = {{"median_spacing", {1, 1, 2}}};
  const Plan q = Plan::from_json(nlohmann::json::parse(p.to_json().dump()));
  EXPECT_EQ(q.to_json(), p.to_json());
  EXPECT_EQ(q.normalization_of(0).scheme, "ct");
  EXPECT_DOUBLE_EQ(q.normalization_of(0).clip_low, -958);
  EXPECT_DOUBLE_EQ(q.normalization_of(0).std, 136.9);
  EXPECT_EQ(q.normalization_of(1).scheme, "zscore");
  EXPECT_TRUE(q.crop_to_nonzero);
  EXPECT_EQ(q.modality, p.modality);
  EXPECT_EQ(q.orientation, "native");
}

TEST(Plan, FormatOnePlansStillLoadAsZscoreWithoutCropping) {
  // A plan.json exactly as format 1 wrote it.
  const auto j = nlohmann::json::parse(R"({
    "format_version": 1, "num_cases": 3, "median_spacing": [1, 1, 2], "median_size": [64, 64, 32],
    "target_spacing": [1, 1, 2], "normalization": "zscore", "in_channels": 1,
    "labels": ["background", "foreground"], "spatial_dims": 3, "patch_size": [64, 64, 32],
    "batch_size": 2, "network": {"name": "unet", "features": [32, 64, 128, 256]}})");
  const Plan p = Plan::from_json(j);
  EXPECT_FALSE(p.crop_to_nonzero);
  EXPECT_TRUE(p.channel_normalization.empty());
  EXPECT_EQ(p.normalization_of(0).scheme, "zscore");
  EXPECT_TRUE(p.modality.empty());
  EXPECT_EQ(p.patch_size, (std::array<int64_t, 3>{64, 64, 32}));
}

TEST(Plan, BadNormalizationEntriesAreRefused) {
  auto j = example_plan().to_json();
  j["intensity_normalization"] = {{{"scheme", "ct"}, {"clip_low", 0}, {"clip_high", 1},
                                   {"mean", 0}, {"std", 0}},
                                  {{"scheme", "zscore"}}};
  EXPECT_THROW(Plan::from_json(j), Error);  // std 0
  j["intensity_normalization"] = {{{"scheme", "zscore"}}};
  EXPECT_THROW(Plan::from_json(j), Error);  // one entry for two channels
  j["intensity_normalization"] = {{{"scheme", "minmax"}}, {{"scheme", "zscore"}}};
  EXPECT_THROW(Plan::from_json(j), Error);
}
