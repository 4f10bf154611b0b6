// `unetx explain --method ...` through the real binary on a tiny synthetic cohort: one map and
// one overlay per case and method on the original grid, a manifest column per map, the
// faithfulness table, a box target, `--layer all`, a rerun that skips finished cases, and the
// one-line refusals (mhex_cam on a U-Net, an unknown method).
#include <gtest/gtest.h>

#include "cli_helpers.h"
#include "io/csv.h"
#include "io/image_io.h"
#include "io/manifest.h"

namespace unetx::testing {
namespace {

class CliExplainMethods : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fresh_dir("explain_methods"));
    const fs::path& d = *dir_;
    auto run = [&](const std::string& args) {
      const auto r = unetx(args, d);
      ASSERT_EQ(r.exit_code, 0) << args << "\n" << r.err;
    };
    run("synth -o " + (d / "c").string() + " --cases 2 --size 16,16,8");
    run("preprocess -i " + (d / "c/manifest.csv").string() + " -o " + (d / "p").string() +
        " --features 4,8 --patch 16,16,8");
    run("train -i " + (d / "p").string() + " -o " + (d / "m").string() +
        " --epochs 1 --iterations 1 --val-fraction 0.5 --seed 1");
    run("train -i " + (d / "p").string() + " -o " + (d / "m_se").string() +
        " --epochs 1 --iterations 1 --val-fraction 0.5 --seed 1 --model-option se=cse");
    run("train -i " + (d / "p").string() + " -o " + (d / "m_eunet").string() +
        " --epochs 1 --iterations 1 --val-fraction 0.5 --seed 1 --model eunet");
  }
  static void TearDownTestSuite() { delete dir_; }

  static std::string base_args(const fs::path& out, const std::string& model = "m") {
    return "explain -i " + (*dir_ / "c/manifest.csv").string() + " -m " +
           (*dir_ / model / "checkpoint_last.pt").string() + " -o " + out.string();
  }

  static fs::path* dir_;
};

fs::path* CliExplainMethods::dir_ = nullptr;

TEST_F(CliExplainMethods, EveryMethodWritesAMapPerCaseOnTheOriginalGrid) {
  const fs::path out = *dir_ / "all";
  const std::vector<std::string> methods = {"saliency", "input_x_gradient", "smoothgrad",
                                            "guided_backprop", "gradcam", "guided_gradcam",
                                            "deeplift", "integrated_gradients", "occlusion"};
  std::string list;
  for (const auto& m : methods) list += (list.empty() ? "" : ",") + m;
  const auto r = unetx(base_args(out) + " --method " + list +
                           " --samples 2 --steps 4 --window 8 --stride 8 --baseline blur"
                           " --faithfulness --faithfulness-samples 2 --curve-steps 4",
                       out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;

  const auto rows = io::read_manifest(out / "manifest.csv");
  ASSERT_EQ(rows.size(), 2u);
  for (const auto& row : rows) {
    EXPECT_EQ(row.status, "ok");
    EXPECT_EQ(row.columns.at("map"), row.case_id + "_saliency.nii.gz");  // the first method's
    const io::Volume image = io::read_image(*dir_ / "c" / "images" / (row.case_id + ".nii.gz"));
    for (const auto& m : methods) {
      ASSERT_EQ(row.columns.count(m), 1u) << m;
      EXPECT_EQ(row.columns.at(m), row.case_id + "_" + m + ".nii.gz");
      EXPECT_EQ(row.columns.at(m + "_overlay"), row.case_id + "_" + m + ".png");
      const io::Volume map = io::read_image(out / row.columns.at(m));
      EXPECT_TRUE(io::same_grid(map, image)) << m;
      EXPECT_FALSE(map.data.isnan().any().item<bool>()) << m;
      EXPECT_TRUE(fs::exists(out / (row.case_id + "_" + m + ".png"))) << m;
    }
  }
  // One faithfulness row per case and method, with finite numbers.
  const io::CsvTable faith = io::read_csv(out / "faithfulness.csv");
  EXPECT_EQ(faith.header, (std::vector<std::string>{"case_id", "method", "infidelity",
                                                    "max_sensitivity", "deletion_auc",
                                                    "insertion_auc"}));
  ASSERT_EQ(faith.rows.size(), 2 * methods.size());
  EXPECT_EQ(faith.rows[0][1], "saliency");
  for (const auto& row : faith.rows) EXPECT_GE(std::stod(row[2]), 0.0) << row[1];
  EXPECT_EQ(temp_files_under(out), 0);

  // A rerun finds every case complete and recomputes nothing.
  const auto again = unetx(base_args(out) + " --method " + list + " --faithfulness", out);
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.err.find("skipped"), std::string::npos) << again.err;
}

TEST_F(CliExplainMethods, BoxTargetAndOneGradCamPerStage) {
  const fs::path out = *dir_ / "stages";
  const auto r = unetx(base_args(out) + " --method gradcam --layer all --target box:0,0,0,4,8,8"
                                        " --reduce mean",
                       out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto rows = io::read_manifest(out / "manifest.csv");
  ASSERT_EQ(rows.size(), 2u);
  // features 4,8: encoder.0, bottleneck, decoder.0 (one level).
  for (const std::string tap : {"encoder.0", "bottleneck", "decoder.0"}) {
    const std::string file = rows[0].case_id + "_gradcam_" + tap + ".nii.gz";
    EXPECT_EQ(rows[0].columns.at("gradcam_" + tap), file);
    const io::Volume cam = io::read_image(out / file);
    EXPECT_GE(cam.data.min().item<float>(), 0.0f) << tap;
    EXPECT_LE(cam.data.max().item<float>(), 1.0f) << tap;
  }
  EXPECT_EQ(rows[0].columns.at("target"), "box:0,0,0,4,8,8");
}

TEST_F(CliExplainMethods, ExcitationsOfAnSEModelAndTheMhexCamOfAnEUNet) {
  const fs::path out = *dir_ / "se";
  auto r = unetx(base_args(out, "m_se") + " --method saliency --target border --excitations", out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string json = slurp(out / "excitations.json");
  // features 4,8: one recalibrated encoder stage with 4 channels.
  EXPECT_NE(json.find("\"se.0\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"linear_excitation_threshold\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"channels\": 4"), std::string::npos) << json;

  const fs::path eu = *dir_ / "eunet";
  r = unetx(base_args(eu, "m_eunet") + " --method mhex_cam,gradcam", eu);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& row : io::read_manifest(eu / "manifest.csv")) {
    EXPECT_EQ(row.status, "ok");
    const io::Volume cam = io::read_image(eu / row.columns.at("mhex_cam"));
    EXPECT_GE(cam.data.min().item<float>(), 0.0f);
    EXPECT_LE(cam.data.max().item<float>(), 1.0f);
  }
  // A model without squeeze-and-excitation is refused before any case runs.
  r = unetx(base_args(*dir_ / "no_se") + " --excitations", *dir_ / "no_se");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
}

TEST_F(CliExplainMethods, RefusalsAreOneLine) {
  const fs::path out = *dir_ / "refused";
  auto r = unetx(base_args(out) + " --method mhex_cam", out);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("mhex_cam"), std::string::npos) << r.err;
  r = unetx(base_args(out) + " --method lime", out);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("available: saliency"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace unetx::testing
