// The whole chain through the real binary on a tiny phantom cohort:
// synth -> preprocess -> train -> predict -> explain -> uncertainty -> evaluate.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli_helpers.h"
#include "io/csv.h"
#include "io/image_io.h"
#include "io/manifest.h"

namespace unetx::testing {
namespace {

class ChainSlow : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { dir_ = fresh_dir("chain"); }
  static fs::path dir_;
};
fs::path ChainSlow::dir_;

void expect_all_ok(const fs::path& manifest, size_t cases) {
  auto rows = io::read_manifest(manifest);
  ASSERT_EQ(rows.size(), cases) << manifest;
  for (const auto& row : rows) EXPECT_EQ(row.status, "ok") << row.case_id;
}

TEST_F(ChainSlow, RunsEveryCommandAndLearnsThePhantoms) {
  const fs::path d = dir_;
  auto r = unetx("synth -o " + (d / "cohort").string() + " --cases 8 --size 40,40,32 --seed 3",
                 d / "log");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_all_ok(d / "cohort/manifest.csv", 8);

  r = unetx("preprocess -i " + (d / "cohort/manifest.csv").string() + " -o " +
                (d / "pre").string() + " --spacing 1.5,1.5,1.5 --features 8,16,32 --patch 32,32,32",
            d / "log");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(fs::exists(d / "pre/plan.json"));
  expect_all_ok(d / "pre/manifest.csv", 8);
  auto plan = nlohmann::json::parse(slurp(d / "pre/plan.json"));
  EXPECT_EQ(plan["labels"].size(), 2u);
  EXPECT_DOUBLE_EQ(plan["target_spacing"][0].get<double>(), 1.5);

  r = unetx("train -i " + (d / "pre").string() + " -o " + (d / "model").string() +
                " --epochs 12 --iterations 20 --lr 3e-3 --val-fraction 0.25 --fg-fraction 0.5",
            d / "log");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(fs::exists(d / "model/checkpoint_best.pt"));
  ASSERT_TRUE(fs::exists(d / "model/checkpoint_last.pt"));
  std::stringstream log(slurp(d / "model/train_log.jsonl"));
  int lines = 0;
  for (std::string line; std::getline(log, line);) {
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["epoch"].get<int>(), lines++);
    EXPECT_TRUE(j.contains("val_dice"));
  }
  EXPECT_EQ(lines, 12);

  // Predict on the raw cohort: masks must land on each case's original grid.
  const std::string ckpt = (d / "model/checkpoint_best.pt").string();
  const std::string cohort = (d / "cohort/manifest.csv").string();
  r = unetx("predict -i " + cohort + " -m " + ckpt + " -o " + (d / "pred").string() +
                " --save-probabilities",
            d / "log");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_all_ok(d / "pred/manifest.csv", 8);
  for (const auto& c : io::read_cohort(cohort).cases) {
    io::Volume image = io::read_image(c.images.front());
    io::Volume mask = io::read_image(d / "pred" / (c.id + ".nii.gz"));
    EXPECT_TRUE(io::same_grid(image, mask)) << c.id;
    io::Volume prob = io::read_image(d / "pred" / (c.id + "_prob.nii.gz"));
    EXPECT_EQ(prob.channels(), 2);
  }

  r = unetx("explain -i " + cohort + " -m " + ckpt + " -o " + (d / "xai").string(), d / "log");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_all_ok(d / "xai/manifest.csv", 8);
  io::Volume cam = io::read_image(d / "xai/phantom_0000_gradcam.nii.gz");
  EXPECT_LE(cam.data.max().item<float>(), 1.0f + 1e-5f);
  EXPECT_GT(cam.data.max().item<float>(), 0.0f);
  EXPECT_TRUE(fs::exists(d / "xai/phantom_0000_gradcam.png"));

  r = unetx(
      "uncertainty -i " + cohort + " -m " + ckpt + " -o " + (d / "unc").string() + " --samples 4",
      d / "log");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto unc = io::read_manifest(d / "unc/manifest.csv");
  ASSERT_EQ(unc.size(), 8u);
  for (const auto& row : unc) {
    double h = std::stod(row.columns.at("mean_entropy"));
    EXPECT_GE(h, 0.0);
    EXPECT_LE(h, std::log(2.0) + 1e-6);  // binary entropy bound
  }

  r = unetx(
      "evaluate -p " + (d / "pred").string() + " -r " + cohort + " -o " + (d / "eval").string(),
      d / "log");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto summary = nlohmann::json::parse(slurp(d / "eval/summary.json"));
  const double dice = summary["labels"]["1"]["dice"]["mean"].get<double>();
  // An untrained network predicts noise or a single class. Predicting all foreground is the
  // best such guess; its Dice 2f/(1+f) for foreground share f must be far below the bar.
  double all_foreground_dice = 0.0;
  for (const auto& c : io::read_cohort(cohort).cases) {
    const double f = (io::read_image(*c.label).data > 0).to(at::kDouble).mean().item<double>();
    all_foreground_dice += 2 * f / (1 + f) / 8.0;
  }
  EXPECT_LT(all_foreground_dice, 0.5);
  EXPECT_GT(dice, 0.7);
  io::CsvTable metrics = io::read_csv(d / "eval/metrics.csv");
  EXPECT_EQ(metrics.rows.size(), 8u);
  ASSERT_GE(metrics.column("dice"), 0);
  ASSERT_GE(metrics.column("iou"), 0);
  double mean_from_csv = 0.0;
  for (const auto& row : metrics.rows)
    mean_from_csv += std::stod(row[metrics.column("dice")]) / 8.0;
  EXPECT_NEAR(mean_from_csv, dice, 1e-4);
  EXPECT_EQ(temp_files_under(d), 0);

  // A rerun resumes: nothing to do, same manifest, exit 0.
  r = unetx("predict -i " + cohort + " -m " + ckpt + " -o " + (d / "pred").string() +
                " --save-probabilities",
            d / "log");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("already done"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace unetx::testing
