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
