// `unetx uncertainty --method` through the real binary: all five estimators over a tiny synthetic
// cohort with two EU-Net checkpoints, the maps on the original grid, the manifest,
// uncertainty.csv and uncertainty_summary.json; a rerun that resumes; an unknown method.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_helpers.h"
#include "io/csv.h"
#include "io/image_io.h"
#include "io/manifest.h"

namespace unetx::testing {
namespace {

const std::vector<std::pair<std::string, std::vector<std::string>>> kMethods = {
    {"entropy", {"entropy"}},
    {"mc_dropout", {"entropy", "mi", "variance"}},
    {"tta", {"entropy", "variance"}},
    {"ensemble", {"entropy", "mi", "variance"}},
    {"collaboration", {"uncertainty", "cosine"}}};

class CliUncertaintyMethods : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fresh_dir("uncertainty_methods"));
    const fs::path& d = *dir_;
    auto run = [&](const std::string& args) {
      const auto r = unetx(args, d);
      ASSERT_EQ(r.exit_code, 0) << args << "\n" << r.err;
    };
    run("synth -o " + (d / "c").string() + " --cases 3 --size 16,16,8");
    run("preprocess -i " + (d / "c/manifest.csv").string() + " -o " + (d / "p").string() +
        " --features 4,8 --patch 16,16,8 --dropout 0.2");
    for (int seed : {1, 2}) {
      run("train -i " + (d / "p").string() + " -o " + (d / ("m" + std::to_string(seed))).string() +
          " --model eunet --features 4,8,16 --epochs 1 --iterations 1 --val-fraction 0.34 --seed " +
          std::to_string(seed));
    }
  }
  static void TearDownTestSuite() { delete dir_; }

  static std::string uncertainty_args(const fs::path& out) {
    return "uncertainty -i " + (*dir_ / "c/manifest.csv").string() + " -m " +
           (*dir_ / "m1/checkpoint_last.pt").string() + " -m " +
           (*dir_ / "m2/checkpoint_last.pt").string() +
           " --method entropy,mc_dropout,tta,ensemble,collaboration --samples 3 -o " +
           out.string();
  }

  static fs::path* dir_;
};

fs::path* CliUncertaintyMethods::dir_ = nullptr;

TEST_F(CliUncertaintyMethods, EveryMethodWritesMapsScoresAndASummary) {
  const fs::path out = *dir_ / "u";
  auto r = unetx(uncertainty_args(out), *dir_);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");  // stdout stays clean
  const auto rows = io::read_manifest(out / "manifest.csv");
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& row : rows) {
    EXPECT_EQ(row.status, "ok");
    const io::Volume image = io::read_image(*dir_ / "c/images" / (row.case_id + ".nii.gz"));
    for (const auto& [method, maps] : kMethods) {
      const std::string pooled = row.case_id + "_" + method + "_pooled.json";
      EXPECT_EQ(row.columns.at(method + "_pooled"), pooled);
      EXPECT_TRUE(fs::exists(out / pooled)) << pooled;
      for (const auto& map : maps) {
        const std::string file = row.case_id + "_" + method + "_" + map + ".nii.gz";
        EXPECT_EQ(row.columns.at(method + "_" + map), file);
        const io::Volume v = io::read_image(out / file);
        EXPECT_EQ(v.data.sizes().slice(1), image.data.sizes().slice(1)) << file;
        if (map == "cosine") {
          EXPECT_GE(v.data.min().item<float>(), -1.0f);
          EXPECT_LE(v.data.max().item<float>(), 1.0f);
        }
      }
    }
    EXPECT_EQ(row.columns.at("mean_entropy"), row.columns.at("entropy_mean"));
  }
  EXPECT_EQ(temp_files_under(out), 0);

  const io::CsvTable table = io::read_csv(out / "uncertainty.csv");
  EXPECT_EQ(table.header, (std::vector<std::string>{"case_id", "method", "map", "mean", "inside",
                                                    "boundary", "volume_cv", "dice", "auroc",
                                                    "ece", "error_voxels"}));
  ASSERT_EQ(table.rows.size(), 3u * kMethods.size());
  for (const auto& row : table.rows) {
    const double cv = std::stod(row[6]), dice = std::stod(row[7]), ece = std::stod(row[9]);
    if (row[1] == "entropy" || row[1] == "collaboration") {
      EXPECT_EQ(cv, 0.0) << row[1];  // single pass
    }
    EXPECT_TRUE(dice >= 0 && dice <= 1) << row[7];  // the synth manifest has labels
    EXPECT_TRUE(ece >= 0 && ece <= 1) << row[9];
  }

  const auto summary = nlohmann::json::parse(slurp(out / "uncertainty_summary.json"));
  EXPECT_EQ(summary.at("ece_bins"), 15);
  for (const auto& [method, maps] : kMethods) {
    const auto& m = summary.at("methods").at(method);
    EXPECT_EQ(m.at("map"), maps.front());
    EXPECT_EQ(m.at("cases"), 3);
    EXPECT_EQ(m.at("cases_with_reference"), 3);
    for (const char* key : {"ece_case_mean", "ece_pooled"}) {
      const auto& ece = m.at(key);
      ASSERT_TRUE(ece.is_number()) << method << " " << key;
      EXPECT_TRUE(ece.get<double>() >= 0 && ece.get<double>() <= 1);
    }
    // Pooled over every voxel of the 3 cases of 16 x 16 x 8 voxels (the original grid).
    EXPECT_EQ(m.at("pooled_cases"), 3);
    EXPECT_EQ(m.at("pooled_voxels"), 3 * 16 * 16 * 8);
    for (const char* key : {"auroc_case_mean", "auroc_pooled", "pearson_uncertainty_dice",
                            "spearman_uncertainty_dice"}) {
      const auto& v = m.at(key);
      EXPECT_TRUE(v.is_null() || (v.get<double>() >= -1 && v.get<double>() <= 1)) << key;
    }
  }

  // A rerun resumes every case and still lists them all.
  r = unetx(uncertainty_args(out), *dir_ / "rerun");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(io::read_csv(out / "uncertainty.csv").rows.size(), 3u * kMethods.size());
}

TEST_F(CliUncertaintyMethods, ReferencesComeFromTheManifestOrFromAReferenceCohort) {
  const fs::path d = *dir_ / "reference";
  fs::create_directories(d);
  // The same cases without their label column: no reference unless --reference gives one.
  const io::CsvTable full = io::read_csv(*dir_ / "c/manifest.csv");
  const int id = full.column("case_id"), image = full.column("image");
  ASSERT_TRUE(id >= 0 && image >= 0);
  std::ofstream unlabelled(d / "images.csv");
  unlabelled << "case_id,image\n";
  for (const auto& row : full.rows) {
    unlabelled << row[id] << "," << (*dir_ / "c" / row[image]).string() << "\n";
  }
  unlabelled.close();
  auto run = [&](const std::string& out, const std::string& extra) {
    auto r = unetx("uncertainty -i " + (d / "images.csv").string() + " -m " +
                       (*dir_ / "m1/checkpoint_last.pt").string() + " --method entropy -o " +
                       (d / out).string() + extra,
                   d);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(slurp(d / out / "uncertainty_summary.json"))["methods"]["entropy"];
  };
  const auto none = run("none", "");
  EXPECT_EQ(none.at("cases"), 3);
  EXPECT_EQ(none.at("cases_with_reference"), 0);
  EXPECT_TRUE(none.at("ece_case_mean").is_null());
  EXPECT_TRUE(none.at("ece_pooled").is_null());
  EXPECT_EQ(none.at("pooled_voxels"), 0);
  const auto given = run("given", " --reference " + (*dir_ / "c/manifest.csv").string());
  EXPECT_EQ(given.at("cases_with_reference"), 3);
  EXPECT_TRUE(given.at("ece_case_mean").is_number());
  EXPECT_TRUE(given.at("ece_pooled").is_number());
}

TEST_F(CliUncertaintyMethods, AnUnknownMethodIsAUsageErrorNamingTheChoices) {
  const fs::path d = *dir_ / "bad";
  auto r = unetx("uncertainty -i " + (*dir_ / "c/manifest.csv").string() + " -m " +
                     (*dir_ / "m1/checkpoint_last.pt").string() + " -o " + (d / "out").string() +
                     " --method entropy,bogus",
                 d);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("unetx uncertainty: --method: unknown method 'bogus'", 0), 0) << r.err;
  EXPECT_NE(r.err.find("bogus"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("collaboration"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace unetx::testing
