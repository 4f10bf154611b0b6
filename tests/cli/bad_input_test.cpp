// Bad input through the real binary: one clear line naming the file or option, the other cases
// go on, exit codes 1 (some work failed) and 2 (usage), and no partial output left behind.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "cli_helpers.h"
#include "io/image_io.h"
#include "io/manifest.h"

namespace unetx::testing {
namespace {

TEST(CliUsage, UnknownOptionIsAUsageErrorNamingTheOption) {
  auto r = unetx("predict --bogus-flag 3", fresh_dir("usage"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bogus-flag"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("unetx predict"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
}

TEST(CliUsage, UnknownCommandAndMissingRequiredOption) {
  auto r = unetx("segment-everything", fresh_dir("usage2"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("segment-everything"), std::string::npos);
  r = unetx("evaluate -o x", fresh_dir("usage3"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("predictions"), std::string::npos) << r.err;
}

TEST(CliUsage, EveryCommandHasHelpOnStdout) {
  for (const char* command : {"preprocess", "train", "predict", "explain", "uncertainty",
                              "evaluate", "synth", "info", "demo"}) {
    auto r = unetx(std::string(command) + " --help", fresh_dir("help"));
    EXPECT_EQ(r.exit_code, 0) << command;
    EXPECT_NE(r.out.find("--threads"), std::string::npos) << command;
    EXPECT_NE(r.out.find("--config"), std::string::npos) << command;
    EXPECT_NE(r.out.find("Usage: unetx " + std::string(command)), std::string::npos) << r.out;
  }
  auto r = unetx("--help", fresh_dir("help"));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("uncertainty"), std::string::npos);
}

TEST(CliUsage, ConfigFileSuppliesOptions) {
  fs::path d = fresh_dir("config");
  std::ofstream(d / "synth.ini") << "cases = 2\nsize = 8,8,4\nfixed-geometry = true\n";
  auto r = unetx("synth -o " + (d / "out").string() + " --config " + (d / "synth.ini").string(), d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(io::read_manifest(d / "out/manifest.csv").size(), 2u);
  io::Volume v = io::read_image(d / "out/images/phantom_0001.nii.gz");
  EXPECT_EQ(v.size(), (io::Size3{8, 8, 4}));
}

TEST(CliBadInput, EmptyManifestIsOneLineNamingTheFile) {
  fs::path d = fresh_dir("empty");
  std::ofstream(d / "empty.csv") << "case_id,image,label\n";
  auto r = unetx("preprocess -i " + (d / "empty.csv").string() + " -o " + (d / "out").string(), d);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("empty.csv"), std::string::npos) << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
}

TEST(CliBadInput, BrokenCasesFailAloneAndLeaveNoPartialFiles) {
  fs::path d = fresh_dir("broken");
  auto r = unetx("synth -o " + (d / "cohort").string() + " --cases 4 --size 16,16,8", d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Case 1: a truncated image. Case 2: a label on another grid. Case 3: a missing image.
  const fs::path broken = d / "cohort/images/phantom_0001.nii.gz";
  fs::resize_file(broken, fs::file_size(broken) / 2);
  io::Volume other = io::read_image(d / "cohort/labels/phantom_0002.nii.gz");
  other.geometry.spacing[0] *= 2.0;
  io::write_image(other, d / "cohort/labels/phantom_0002.nii.gz");

  std::ofstream(d / "cohort/manifest.csv", std::ios::app)
      << "phantom_0004,images/phantom_0404.nii.gz,labels/phantom_0003.nii.gz,ok\n";

  r = unetx("preprocess -i " + (d / "cohort/manifest.csv").string() + " -o " +
                (d / "pre").string() + " --features 8,16",
            d);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("phantom_0001"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("phantom_0002"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("phantom_0404.nii.gz: no such file"), std::string::npos) << r.err;
  auto rows = io::read_manifest(d / "pre/manifest.csv");
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].status, "ok");
  EXPECT_NE(rows[1].status.find("phantom_0001.nii.gz"), std::string::npos) << rows[1].status;
  EXPECT_NE(rows[2].status.find("grid"), std::string::npos) << rows[2].status;
  EXPECT_EQ(rows[3].status, "ok");
  EXPECT_NE(rows[4].status.find("no such file"), std::string::npos) << rows[4].status;
  EXPECT_TRUE(fs::exists(d / "pre/cases/phantom_0003.nii"));
  EXPECT_FALSE(fs::exists(d / "pre/cases/phantom_0001.nii"));
  EXPECT_EQ(temp_files_under(d), 0);
}

TEST(CliBadInput, NonFiniteZeroSpacingAnd2DCasesFailAlone) {
  fs::path d = fresh_dir("bad_values");
  auto r = unetx("synth -o " + (d / "cohort").string() + " --cases 4 --size 16,16,8", d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const fs::path images = d / "cohort/images";
  // Case 0: two NaN and one +Inf voxel in a float image.
  io::Volume nan = io::read_image(images / "phantom_0000.nii.gz");
  nan.data = nan.data.to(at::kFloat);
  nan.data.view(-1)[3] = std::nan("");
  nan.data.view(-1)[40] = std::nan("");
  nan.data.view(-1)[41] = std::numeric_limits<float>::infinity();
  io::write_image(nan, images / "phantom_0000.nii.gz");
  // Case 1: one slice of a volume where the plan is 3-D (image and label both 2-D).
  for (const char* sub : {"images", "labels"}) {
    const fs::path f = d / "cohort" / sub / "phantom_0001.nii.gz";
    io::Volume v = io::read_image(f);
    v.data = v.data.narrow(1, 3, 1).contiguous();
    io::write_image(v, f);
  }
  r = unetx("preprocess -i " + (d / "cohort/manifest.csv").string() + " -o " +
                (d / "pre").string() + " --features 8,16",
            d);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  auto rows = io::read_manifest(d / "pre/manifest.csv");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].status, "failed: phantom_0000: image holds 2 NaN and 1 Inf voxels");
  EXPECT_NE(rows[1].status.find("is a 2-D image"), std::string::npos) << rows[1].status;
  EXPECT_EQ(rows[2].status, "ok");
  EXPECT_EQ(rows[3].status, "ok");
  EXPECT_NE(r.err.find("phantom_0000"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(d / "pre/cases/phantom_0000.nii"));
  EXPECT_FALSE(fs::exists(d / "pre/cases/phantom_0001.nii"));
  EXPECT_EQ(temp_files_under(d), 0);
}

TEST(CliInfo, PrintsGeometryAsJson) {
  fs::path d = fresh_dir("info");
  auto r =
      unetx("synth -o " + (d / "c").string() + " --cases 1 --size 12,10,6 --fixed-geometry", d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = unetx("info " + (d / "c/images/phantom_0000.nii.gz").string() + " --json", d / "o");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto info = nlohmann::json::parse(r.out);
  EXPECT_EQ(info["size"], nlohmann::json::array({12, 10, 6}));
  EXPECT_EQ(info["spacing"], nlohmann::json::array({1.0, 1.0, 1.0}));
  auto r2 = unetx("info " + (d / "missing.nii.gz").string(), d / "o2");
  EXPECT_EQ(r2.exit_code, 1);
  EXPECT_NE(r2.err.find("missing.nii.gz"), std::string::npos);
}

}  // namespace
}  // namespace unetx::testing
