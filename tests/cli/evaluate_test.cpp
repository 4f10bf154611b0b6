// `unetx evaluate` end to end: the metrics.csv columns in millimetres, summary statistics with a
// cross-validation block, and --compare's paired tests, on a synthetic cohort whose expected
// values follow from how the predictions were made.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "cli_helpers.h"
#include "io/csv.h"
#include "io/image_io.h"

namespace unetx::testing {
namespace {

TEST(CliEvaluate, PerfectAndShiftedPredictionsWithFoldsAndComparison) {
  fs::path d = fresh_dir("evaluate");
  auto r = unetx("synth -o " + (d / "cohort").string() + " --cases 4 --size 20,20,8", d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // References with a fold column: cases 0, 1 in fold 0; cases 2, 3 in fold 1.
  {
    std::ofstream m(d / "cohort/folds.csv");
    m << "case_id,image,label,fold\n";
    for (int i = 0; i < 4; ++i) {
      const std::string id = "phantom_000" + std::to_string(i);
      m << id << ",images/" << id << ".nii.gz,labels/" << id << ".nii.gz," << i / 2 << "\n";
    }
  }
  // Set A: the references themselves. Set B: every label shifted by one voxel along x.
  // Attribution maps as `unetx explain` names them: half the reference mask.
  fs::create_directories(d / "a");
  fs::create_directories(d / "b");
  fs::create_directories(d / "cams");
  for (int i = 0; i < 4; ++i) {
    const std::string id = "phantom_000" + std::to_string(i);
    io::Volume ref = io::read_image(d / "cohort/labels" / (id + ".nii.gz"));
    io::write_image(ref, d / "a" / (id + ".nii.gz"));
    io::Volume shifted = ref;
    shifted.data = at::roll(ref.data, {1}, {3});
    io::write_image(shifted, d / "b" / (id + ".nii.gz"));
    io::Volume cam = ref;
    cam.data = (ref.data > 0).to(at::kFloat) * 0.5;
    io::write_image(cam, d / "cams" / (id + "_gradcam.nii.gz"));
  }
  const std::string eval_args = "evaluate -p " + (d / "a").string() + " -r " +
                                (d / "cohort/folds.csv").string() + " -o " + (d / "eval").string() +
                                " --compare " + (d / "b").string() +
                                " --nsd-tolerance 0.5 --attributions ";
  r = unetx(eval_args + (d / "no_such_folder").string(), d);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no_such_folder: no such folder"), std::string::npos) << r.err;
  r = unetx(eval_args + (d / "cams").string(), d);
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const io::CsvTable metrics = io::read_csv(d / "eval/metrics.csv");
  const std::vector<std::string> header{
      "case_id", "label", "dice", "iou",         "precision",  "recall",       "specificity", "hd",
      "hd95",    "assd",  "nsd",  "vol_pred_ml", "vol_ref_ml", "rel_vol_diff", "empty"};
  EXPECT_EQ(metrics.header, header);
  ASSERT_FALSE(metrics.rows.empty());
  for (const auto& row : metrics.rows) {
    EXPECT_EQ(row[2], "1");   // Dice of a perfect prediction
    EXPECT_EQ(row[7], "0");   // HD
    EXPECT_EQ(row[10], "1");  // NSD
  }
  const auto summary = nlohmann::json::parse(slurp(d / "eval/summary.json"));
  const auto& dice = summary["labels"]["1"]["dice"];
  EXPECT_EQ(dice["mean"], 1.0);
  EXPECT_EQ(dice["ci95"][0], 1.0);
  ASSERT_TRUE(summary.contains("cross_validation")) << summary.dump(2);
  EXPECT_EQ(summary["cross_validation"]["over_folds"]["1"]["dice"]["folds"], 2);
  EXPECT_EQ(summary["cross_validation"]["over_folds"]["1"]["dice"]["std"], 0.0);
  EXPECT_EQ(summary["cross_validation"]["per_fold"]["0"]["1"]["dice"], 1.0);
  EXPECT_EQ(summary["cross_validation"]["per_fold"]["1"]["1"]["hd"], 0.0);

  // The shifted set: in-plane voxel spacing is what synth wrote; a one-voxel shift of a blob
  // puts its surface at most one x step away, so HD equals the x spacing exactly.
  const io::CsvTable shifted = io::read_csv(d / "eval/compare/metrics.csv");
  const double sx = io::read_image(d / "a/phantom_0000.nii.gz").geometry.spacing[0];
  EXPECT_NEAR(std::stod(shifted.rows[0][7]), sx, 1e-5);
  EXPECT_LT(std::stod(shifted.rows[0][2]), 1.0);

  // The report: one self-contained page with the plots, also written as PNG.
  const std::string html = slurp(d / "eval/report.html");
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("phantom_0003"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_TRUE(fs::exists(d / "eval/report_plots/box_dice.png"));
  // Cross-validation and comparison tables; 4 thumbnails (2 best, 2 worst) of 3 panels each,
  // the third the attribution map.
  EXPECT_NE(html.find("<th class=\"num\">Fold 0</th><th class=\"num\">Fold 1</th>"),
            std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\"><b>1.000 &plusmn; 0.000</b></td>"), std::string::npos);
  EXPECT_NE(html.find("id=\"comparison-table\""), std::string::npos);
  EXPECT_NE(html.find("A = <b>a</b>, B = <b>b</b>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">0.1250</td>"), std::string::npos);  // Wilcoxon, n = 4
  size_t images = 0;
  for (size_t at = html.find("<img src=\"data:image/png"); at != std::string::npos;
       at = html.find("<img src=\"data:image/png", at + 1))
    ++images;
  EXPECT_EQ(images, 12u);
  EXPECT_TRUE(fs::exists(d / "eval/report_plots/thumb_best_1_attribution.png"));
  EXPECT_TRUE(fs::exists(d / "eval/report_plots/thumb_worst_2_attribution.png"));

  const io::CsvTable comparison = io::read_csv(d / "eval/comparison.csv");
  EXPECT_EQ(comparison.header.front(), "metric");
  EXPECT_NE(r.out.find("Wilcoxon p"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dice"), std::string::npos) << r.out;
  // Four cases all better in A: exact Wilcoxon p = 2 / 2^4.
  for (const auto& row : comparison.rows) {
    if (row[0] == "dice" && row[1] == "1") {
      EXPECT_EQ(row[8], "0.125");
    }
  }
}

TEST(CliEvaluate, PredictionOnAnotherGridFailsOrIsResampled) {
  fs::path d = fresh_dir("evaluate_grid");
  auto r = unetx("synth -o " + (d / "cohort").string() + " --cases 1 --size 12,12,6", d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  io::Volume ref = io::read_image(d / "cohort/labels/phantom_0000.nii.gz");
  // The same labels on a grid with the x axis reversed: the same voxels in space.
  io::Volume flipped = ref;
  flipped.data = ref.data.flip({3}).contiguous();
  const io::Vec3 last = ref.geometry.index_to_physical({double(ref.size()[0] - 1), 0, 0});
  flipped.geometry.origin = last;
  for (int row = 0; row < 3; ++row) flipped.geometry.direction[3 * row] *= -1;
  fs::create_directories(d / "pred");
  io::write_image(flipped, d / "pred/phantom_0000.nii.gz");
  const std::string args = "evaluate -p " + (d / "pred").string() + " -r " +
                           (d / "cohort/manifest.csv").string() + " -o " + (d / "eval").string();
  r = unetx(args, d);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("grid differs"), std::string::npos) << r.err;
  r = unetx(args + " --resample-prediction", d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const io::CsvTable metrics = io::read_csv(d / "eval/metrics.csv");
  ASSERT_FALSE(metrics.rows.empty());
  EXPECT_EQ(metrics.rows[0][2], "1");
}

}  // namespace
}  // namespace unetx::testing
