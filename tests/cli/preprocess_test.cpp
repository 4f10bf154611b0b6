// preprocess through the binary: the plan counts every label value of the cohort, the prepared
// cases sit on the plan's spacing, the fingerprint and every decision land in plan.json, and a
// plan from another dataset is refused at predict time.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_helpers.h"
#include "io/image_io.h"
#include "io/manifest.h"

namespace unetx::testing {
namespace {

TEST(CliPreprocess, PlanCountsEveryLabelAndCasesUseItsSpacing) {
  fs::path d = fresh_dir("multilabel");
  auto r = unetx("synth -o " + (d / "c").string() + " --cases 2 --size 24,24,12 --labels 3", d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = unetx("preprocess -i " + (d / "c/manifest.csv").string() + " -o " + (d / "p").string() +
                " --spacing 2,2,3 --features 8,16 --label-names background,a,b,c",
            d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto plan = nlohmann::json::parse(slurp(d / "p/plan.json"));
  EXPECT_EQ(plan["labels"], nlohmann::json::array({"background", "a", "b", "c"}));
  io::Volume label = io::read_image(d / "p/cases/phantom_0000_label.nii");
  EXPECT_EQ(label.data.max().item<int>(), 3);
  EXPECT_NEAR(label.geometry.spacing[0], 2.0, 1e-6);
  EXPECT_NEAR(label.geometry.spacing[2], 3.0, 1e-6);
}

// The synth cohort's manifest again, with a modality column.
void write_manifest_with_modality(const fs::path& cohort, int cases, const std::string& modality) {
  std::ofstream out(cohort / "with_modality.csv");
  out << "case_id,image,label,modality\n";
  for (int i = 0; i < cases; ++i) {
    const std::string id = "phantom_000" + std::to_string(i);
    out << id << ",images/" << id << ".nii.gz,labels/" << id << ".nii.gz," << modality << "\n";
  }
}

TEST(CliPreprocess, PlanRecordsTheFingerprintAndEveryDecision) {
  fs::path d = fresh_dir("fingerprint");
  auto r = unetx("synth -o " + (d / "c").string() + " --cases 3 --size 24,24,12", d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  write_manifest_with_modality(d / "c", 3, "CT");
  r = unetx("preprocess -i " + (d / "c/with_modality.csv").string() + " -o " +
                (d / "p").string() + " --features 8,16,32 --memory-budget 1",
            d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto plan = nlohmann::json::parse(slurp(d / "p/plan.json"));
  EXPECT_EQ(plan["format_version"], 2);
  const auto& fp = plan["fingerprint"];
  ASSERT_EQ(fp["cases"].size(), 3u);
  ASSERT_EQ(fp["channels"].size(), 1u);
  EXPECT_GT(fp["channels"][0]["samples"].get<int>(), 0);
  EXPECT_EQ(plan["modality"], nlohmann::json::array({"CT"}));
  // CT: the dataset-wide clip and z-score values are the fingerprint's.
  const auto& ct = plan["intensity_normalization"][0];
  EXPECT_EQ(ct["scheme"], "ct");
  EXPECT_EQ(plan["normalization"], "ct");
  EXPECT_EQ(ct["clip_low"], fp["channels"][0]["percentile_00_5"]);
  EXPECT_EQ(ct["clip_high"], fp["channels"][0]["percentile_99_5"]);
  EXPECT_EQ(ct["mean"], fp["channels"][0]["mean"]);
  EXPECT_EQ(ct["std"], fp["channels"][0]["std"]);
  EXPECT_EQ(plan["crop_to_nonzero"], true);
  EXPECT_EQ(plan["orientation"], "LPS");
  EXPECT_EQ(plan["memory_budget_gb"], 1.0);
  EXPECT_LE(plan["estimated_memory_gb"].get<double>(), 1.0);
  // Each patch axis divisible by the product of its pool strides over the network's levels
  // (2 at every level when the plan lists none; the list is (z, y, x), the patch (x, y, z)).
  const auto& network = plan["network"];
  for (int a = 0; a < 3; ++a) {
    int64_t divisor = 1;
    for (size_t level = 0; level + 1 < network["features"].size(); ++level)
      divisor *= network.contains("pool_strides")
                     ? network["pool_strides"][level][2 - a].get<int64_t>()
                     : 2;
    EXPECT_EQ(plan["patch_size"][a].get<int64_t>() % divisor, 0) << a;
  }
  EXPECT_GE(plan["batch_size"].get<int>(), 2);

  // Each case keeps what maps it back: original grid, axis map, crop box (on the canonical
  // axes), plan grid.
  auto rows = io::read_manifest(d / "p/manifest.csv");
  ASSERT_EQ(rows.size(), 3u);
  ASSERT_EQ(rows[0].columns.at("preparation"), "cases/phantom_0000.json");
  auto prep = nlohmann::json::parse(slurp(d / "p/cases/phantom_0000.json"));
  io::Volume original = io::read_image(d / "c/images/phantom_0000.nii.gz");
  EXPECT_EQ(prep["original_size"], nlohmann::json(original.size()));
  io::Volume prepared = io::read_image(d / "p/cases/phantom_0000.nii");
  EXPECT_NE(slurp(d / "p/cases/phantom_0000.nii").substr(0, 2), "\x1f\x8b");  // not gzip
  for (int a = 0; a < 3; ++a) {
    EXPECT_NEAR(prep["geometry"]["origin"][a].get<double>(), prepared.geometry.origin[a], 1e-4);
    const int from = prep["axes"]["from"][a].get<int>();
    EXPECT_LE(prep["crop"]["size"][a].get<int64_t>(), original.size()[from]);
  }
}

TEST(CliPreprocess, NormalizationAndCropCanBeOverridden) {
  fs::path d = fresh_dir("overrides");
  auto r = unetx("synth -o " + (d / "c").string() + " --cases 2 --size 16,16,8", d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // A label without foreground is fine: the fingerprint leaves its intensities out and says so.
  io::Volume empty = io::read_image(d / "c/labels/phantom_0001.nii.gz");
  empty.data.zero_();
  io::write_image(empty, d / "c/labels/phantom_0001.nii.gz");
  r = unetx("preprocess -i " + (d / "c/manifest.csv").string() + " -o " + (d / "p").string() +
                " --features 8,16 --normalization zscore_nonzero --no-crop --patch-size 16,16,8 "
                "--batch-size 3 --spacing 1,1,2",
            d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("phantom_0001: the label has no foreground"), std::string::npos) << r.err;
  auto plan = nlohmann::json::parse(slurp(d / "p/plan.json"));
  EXPECT_EQ(plan["fingerprint"]["cases"][1]["foreground_samples"], 0);
  EXPECT_GT(plan["fingerprint"]["cases"][0]["foreground_samples"].get<int>(), 0);
  EXPECT_EQ(plan["intensity_normalization"][0]["scheme"], "zscore_nonzero");
  EXPECT_EQ(plan["crop_to_nonzero"], false);
  EXPECT_EQ(plan["patch_size"], nlohmann::json::array({16, 16, 8}));
  EXPECT_EQ(plan["batch_size"], 3);
  EXPECT_EQ(plan["target_spacing"], nlohmann::json::array({1.0, 1.0, 2.0}));
  EXPECT_EQ(plan["modality"], nlohmann::json::array({""}));

  r = unetx("preprocess -i " + (d / "c/manifest.csv").string() + " -o " + (d / "q").string() +
                " --normalization minmax",
            d);
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("minmax"), std::string::npos) << r.err;
}

TEST(CliPreprocess, PatchLargerThanTheImageTrainsAndPredictsAndOtherDatasetsAreRefused) {
  fs::path d = fresh_dir("big_patch");
  auto r = unetx("synth -o " + (d / "c").string() + " --cases 2 --size 16,16,8", d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  write_manifest_with_modality(d / "c", 2, "CT");
  r = unetx("preprocess -i " + (d / "c/with_modality.csv").string() + " -o " +
                (d / "p").string() + " --features 4,8 --patch-size 32,32,16",
            d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = unetx("train -i " + (d / "p").string() + " -o " + (d / "m").string() +
                " --epochs 1 --iterations 1 --val-fraction 0.5",
            d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string ckpt = (d / "m/checkpoint_last.pt").string();
  r = unetx("predict -i " + (d / "c/manifest.csv").string() + " -m " + ckpt + " -o " +
                (d / "pred").string(),
            d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const io::Volume mask = io::read_image(d / "pred/phantom_0001.nii.gz");
  const io::Volume image = io::read_image(d / "c/images/phantom_0001.nii.gz");
  EXPECT_EQ(mask.size(), image.size());
  EXPECT_TRUE(mask.geometry.same_as(image.geometry));

  // Another dataset: two channels, or an MR DICOM series, for a one-channel CT plan.
  r = unetx("synth -o " + (d / "mr").string() + " --cases 1 --size 16,16,8 --format dicom", d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ofstream(d / "two.csv") << "case_id,image_0,image_1\ntwo,c/images/phantom_0000.nii.gz,"
                                  "c/images/phantom_0000.nii.gz\n";
  std::ofstream(d / "mr.csv") << "case_id,image\nmr,mr/images/phantom_0000\n";
  // (predict compares channels with the model before the plan sees the case.)
  const std::pair<const char*, const char*> expected[] = {
      {"two", "failed: two: image has 2 channel(s), the model expects 1"},
      {"mr", "failed: mr: does not match the plan (made from another dataset?): channel 0 is MR, "
             "the plan's is CT"}};
  for (const auto& [name, status] : expected) {
    r = unetx("predict -i " + (d / (std::string(name) + ".csv")).string() + " -m " + ckpt +
                  " -o " + (d / (std::string("out_") + name)).string(),
              d);
    EXPECT_EQ(r.exit_code, 1) << r.err;
    auto rows = io::read_manifest(d / (std::string("out_") + name) / "manifest.csv");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].status, status);
  }
}

}  // namespace
}  // namespace unetx::testing
