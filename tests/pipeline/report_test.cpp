// report.html and its PNG plots from hand-made inputs: structure, box geometry, escaping,
// self-containment, and the plot files.
#include "pipeline/report.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "io/error.h"
#include "io/png.h"
#include "pipeline/evaluate_report.h"
#include "pipeline/plot_charts.h"
#include "pipeline/report_html.h"
#include "pipeline/report_thumbnail.h"
#include "tests/io/temp_dir.h"

namespace unetx::pipeline {
namespace {

const double kNaN = std::nan("");

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// 3 cases x 2 labels; hd95 of case c is NaN for label 2 (an empty mask).
ReportInputs three_cases() {
  ReportInputs in;
  in.title = "Report test";
  in.metrics = {"dice", "hd95"};
  const std::vector<std::string> ids{"case_a", "case_b", "a<b&\"c"};
  const double dice[3][2] = {{0.9, 0.8}, {0.7, 0.6}, {0.5, 0.4}};
  const double hd95[3][2] = {{2, 4}, {6, 8}, {3, kNaN}};
  for (int c = 0; c < 3; ++c)
    for (int l = 0; l < 2; ++l)
      in.rows.push_back({ids[c], l + 1, "", {{"dice", dice[c][l]}, {"hd95", hd95[c][l]}}, ""});
  return in;
}

// The attribute `name` of the first element that starts with `tag` at or after `from`.
double attribute(const std::string& html, const std::string& tag, const std::string& name,
                 size_t from) {
  const size_t at = html.find(tag, from);
  EXPECT_NE(at, std::string::npos) << tag;
  const size_t end = html.find('>', at);
  std::smatch m;
  const std::string element = html.substr(at, end - at);
  EXPECT_TRUE(std::regex_search(element, m, std::regex(" " + name + "=\"([-0-9.]+)\""))) << element;
  return std::stod(m[1]);
}

int distinct_colours(const std::vector<uint8_t>& rgb) {
  std::set<uint32_t> colours;
  for (size_t i = 0; i + 2 < rgb.size(); i += 3)
    colours.insert(rgb[i] << 16 | rgb[i + 1] << 8 | rgb[i + 2]);
  return static_cast<int>(colours.size());
}

TEST(Report, CaseTableHasOneRowPerCaseAndLabel) {
  test::TempDir dir;
  write_report(three_cases(), dir / "report.html");
  const std::string html = read_text(dir / "report.html");
  EXPECT_EQ(count(html, "<tr class=\"case-row\">"), 6u);
  EXPECT_EQ(count(html, "<th class=\"num\" data-key=\"dice\" data-type=\"num\""), 1u);
  EXPECT_EQ(count(html, "data-v=\"NaN\""), 1u);  // the empty-mask HD95
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_NE(html.find("</html>"), std::string::npos);
}

TEST(Report, BoxesSpanTheGivenQuartilesOnAKnownAxis) {
  test::TempDir dir;
  ReportInputs in = three_cases();
  Summary s;  // given summary for Dice of label 1: the box must use it as is
  s.n = 3, s.mean = 0.7, s.median = 0.5, s.q1 = 0.25, s.q3 = 0.75, s.iqr = 0.5;
  in.summaries["dice"][1] = s;
  write_report(in, dir / "report.html");
  const std::string html = read_text(dir / "report.html");
  using L = plot::BoxPlotLayout;
  const double span = L::kHeight - L::kBottom - L::kTop;
  // Dice is drawn on a fixed [0, 1] axis; its plot comes first, label 1 first.
  const size_t dice_plot = html.find("<svg class=\"chart\"");
  EXPECT_NEAR(attribute(html, "<rect class=\"box\"", "y", dice_plot), L::kTop + 0.25 * span, 0.01);
  EXPECT_NEAR(attribute(html, "<rect class=\"box\"", "height", dice_plot), 0.5 * span, 0.01);
  EXPECT_NEAR(attribute(html, "<rect class=\"box\"", "x", dice_plot),
              L::kLeft + 0.5 * L::kSlot - L::kBoxWidth / 2, 0.01);
  // HD95 of label 1 is {2, 6, 3}: computed summary q1 = 2.5, q3 = 4.5 (linear interpolation);
  // the axis is [0, 8]: round numbers from 0 (no value is negative) to the largest value of
  // any label (8, label 2).
  const size_t hd_plot = html.find("<svg class=\"chart\"", dice_plot + 1);
  EXPECT_NEAR(attribute(html, "<rect class=\"box\"", "y", hd_plot), L::kTop + (1 - 4.5 / 8) * span,
              0.01);
  EXPECT_NEAR(attribute(html, "<rect class=\"box\"", "height", hd_plot), 2.0 / 8 * span, 0.01);
}

TEST(Report, EveryMetricHasABoxPerLabelAndAPng) {
  test::TempDir dir;
  write_report(three_cases(), dir / "report.html");
  const std::string html = read_text(dir / "report.html");
  EXPECT_EQ(count(html, "<rect class=\"box\""), 4u);  // 2 metrics x 2 labels
  for (const char* metric : {"dice", "hd95"}) {
    int w = 0, h = 0;
    const auto rgb =
        io::read_png_rgb(dir / "report_plots" / (std::string("box_") + metric + ".png"), w, h);
    EXPECT_EQ(w, static_cast<int>(plot::BoxPlotLayout::kLeft + 2 * plot::BoxPlotLayout::kSlot +
                                  plot::BoxPlotLayout::kRight));
    EXPECT_EQ(h, static_cast<int>(plot::BoxPlotLayout::kHeight));
    EXPECT_GT(distinct_colours(rgb), 20) << metric;  // text, grid, two series colours, blends
  }
}

TEST(Report, EscapesCaseIdsAndNamesNoUrl) {
  test::TempDir dir;
  ReportInputs in = three_cases();
  in.subtitle = "<script>alert(1)</script>";
  in.label_names[2] = "liver & <spleen>";
  write_report(in, dir / "report.html");
  const std::string html = read_text(dir / "report.html");
  EXPECT_NE(html.find("a&lt;b&amp;&quot;c"), std::string::npos);
  EXPECT_EQ(html.find("a<b&\"c"), std::string::npos);
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_NE(html.find("liver &amp; &lt;spleen&gt;"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(count(html, "<script"), 1u);  // only the page's own inline script
  EXPECT_EQ(html.find(" src=\"http"), std::string::npos);
}

TEST(Report, SummaryTableCountsEmptyValues) {
  test::TempDir dir;
  write_report(three_cases(), dir / "report.html");
  const std::string html = read_text(dir / "report.html");
  // HD95 of label 2: {4, 8, NaN} -> n 2, n empty 1, mean 6, median 6.
  EXPECT_NE(html.find("<td class=\"num\">6 &plusmn; 2.828</td><td class=\"num\">6 [5, 7]</td>"),
            std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">2</td><td class=\"num\">1</td></tr>"), std::string::npos);
}

TEST(Report, TrainingCurvesAndUncertaintyScatter) {
  test::TempDir dir;
  ReportInputs in = three_cases();
  test::write_file(dir / "fold0.jsonl",
                   "{\"epoch\":0,\"train_loss\":0.9,\"val_dice\":0.3,\"lr\":0.01,\"seconds\":1}\n"
                   "{\"epoch\":1,\"train_loss\":0.5,\"val_dice\":0.6,\"lr\":0.01,\"seconds\":1}\n"
                   "{\"epoch\":2,\"train_lo");  // cut short by a killed job: skipped
  test::write_file(dir / "fold1.jsonl",
                   "{\"epoch\":0,\"train_loss\":0.8,\"val_dice\":0.4}\n"
                   "{\"epoch\":1,\"train_loss\":0.4,\"val_dice\":0.7}\n");
  in.training_logs = {{"fold 0", dir / "fold0.jsonl"}, {"fold 1", dir / "fold1.jsonl"}};
  in.uncertainty = {{"case_a", 0.1}, {"case_b", 0.2}, {"a<b&\"c", 0.4}, {"unknown", 1.0}};
  in.uncertainty_name = "mean entropy";
  write_report(in, dir / "report.html");
  const std::string html = read_text(dir / "report.html");
  EXPECT_NE(html.find("<section id=\"training\">"), std::string::npos);
  EXPECT_EQ(count(html, "<polyline"), 4u);  // loss and Dice, two folds each
  EXPECT_NE(html.find("3 cases with both values; Spearman&#39;s rho = -1.000"), std::string::npos)
      << "the caption is escaped as a whole";
  int w = 0, h = 0;
  EXPECT_GT(distinct_colours(io::read_png_rgb(dir / "report_plots/training_curves.png", w, h)), 20);
  EXPECT_EQ(w, 1120);
  EXPECT_EQ(h, 320);
  EXPECT_GT(distinct_colours(io::read_png_rgb(dir / "report_plots/uncertainty_vs_dice.png", w, h)),
            10);
  in.training_logs = {{"missing", dir / "nope.jsonl"}};
  EXPECT_THROW(write_report(in, dir / "report.html"), Error);
}

TEST(Report, GalleryEmbedsBestAndWorstThumbnails) {
  test::TempDir dir;
  ReportInputs in = three_cases();
  const auto [best, worst] = best_and_worst_cases(in.rows, 1);
  ASSERT_EQ(best, std::vector<std::string>{"case_a"});
  ASSERT_EQ(worst, std::vector<std::string>{"a<b&\"c"});
  at::Tensor image = at::rand({5, 16, 20});
  at::Tensor ref = at::zeros({5, 16, 20}, at::kLong);
  ref.index_put_({3, at::indexing::Slice(4, 12), at::indexing::Slice(5, 15)}, 1);
  ref.index_put_({1, at::indexing::Slice(4, 6), at::indexing::Slice(5, 7)}, 1);
  at::Tensor pred = at::roll(ref, 2, 2);
  CaseThumbnail t =
      thumbnail_from_volumes(best[0], CaseThumbnail::Kind::kBest, image, ref, pred, image);
  EXPECT_EQ(t.slice, 3);  // the largest reference area
  EXPECT_EQ(t.image.sizes(), (at::IntArrayRef{16, 20}));
  in.thumbnails = {t, thumbnail_from_volumes(worst[0], CaseThumbnail::Kind::kWorst, image, ref,
                                             at::zeros_like(ref))};
  write_report(in, dir / "report.html");
  const std::string html = read_text(dir / "report.html");
  EXPECT_EQ(count(html, "<img src=\"data:image/png;base64,"), 5u);  // 3 + 2 panels
  EXPECT_NE(html.find("best #1</span>case_a"), std::string::npos);
  int w = 0, h = 0;
  const auto rgb = io::read_png_rgb(dir / "report_plots/thumb_best_1.png", w, h);
  EXPECT_EQ(w, 20 * 8);  // scaled towards 256 px on the longer side, by 8 at most
  EXPECT_EQ(h, 16 * 8);
  EXPECT_GT(distinct_colours(rgb), 50);
  EXPECT_TRUE(fs::exists(dir / "report_plots/thumb_worst_1_errors.png"));
  EXPECT_FALSE(fs::exists(dir / "report_plots/thumb_worst_1_attribution.png"));
}

// The body of the <table id="...">, from its tbody to its end.
std::string table_body(const std::string& html, const std::string& id) {
  const size_t at = html.find("<table class=\"summary\" id=\"" + id + "\"");
  EXPECT_NE(at, std::string::npos) << id;
  if (at == std::string::npos) return "";
  const size_t body = html.find("<tbody>", at), end = html.find("</tbody>", at);
  return html.substr(body, end - body);
}

TEST(Report, CrossValidationTableShowsFoldMeansAndMeanStdOverFolds) {
  test::TempDir dir;
  ReportInputs in = three_cases();
  // Dice of label 1 is 0.9, 0.7, 0.5: folds "0" = {case_a, case_b} -> 0.8 and "1" = {a<b&"c}
  // -> 0.5; over folds 0.65 +- sqrt(0.045) = 0.212. HD95 of label 2: fold 0 {4, 8} -> 6,
  // fold 1 {NaN} -> undefined, so 6 +- 0 over one fold.
  for (auto& r : in.rows) r.fold = r.case_id == "a<b&\"c" ? "1" : "0";
  in.cross_validation = cross_validation(in.rows);
  write_report(in, dir / "report.html");
  const std::string html = read_text(dir / "report.html");
  EXPECT_NE(html.find("<a href=\"#cross-validation\">"), std::string::npos);
  EXPECT_NE(html.find("<th class=\"num\">Fold 0</th><th class=\"num\">Fold 1</th>"),
            std::string::npos);
  const std::string body = table_body(html, "cv-table");
  EXPECT_EQ(count(body, "<tr"), 4u);  // 2 metrics x 2 labels
  EXPECT_NE(body.find("<td>label 1</td><td class=\"num\">0.800</td><td class=\"num\">0.500</td>"
                      "<td class=\"num\"><b>0.650 &plusmn; 0.212</b></td>"),
            std::string::npos)
      << body;
  EXPECT_NE(body.find("<td>label 2</td><td class=\"num\">6</td><td class=\"num\">&mdash;</td>"
                      "<td class=\"num\"><b>6 &plusmn; 0</b></td>"),
            std::string::npos)
      << body;
  // No folds: no section.
  write_report(three_cases(), dir / "plain.html");
  EXPECT_EQ(read_text(dir / "plain.html").find("cv-table"), std::string::npos);
}

TEST(Report, ComparisonTableMarksTheBetterMeanAndSignificantPValues) {
  test::TempDir dir;
  ReportInputs in = three_cases();
  in.comparison_a = "unet";
  in.comparison_b = "unet<pp>";
  in.comparison = {{"dice", 1, 3, 0.85, 0.05, 0.80, 0.06, 0.012, 0.03},
                   {"dice", 2, 3, 0.60, 0.10, 0.62, 0.10, 0.5, 0.75},
                   {"hd95", 1, 3, 3.0, 1.0, 2.0, 0.5, 0.2, 0.01}};
  write_report(in, dir / "report.html");
  const std::string html = read_text(dir / "report.html");
  EXPECT_NE(html.find("A = <b>unet</b>, B = <b>unet&lt;pp&gt;</b>"), std::string::npos);
  EXPECT_NE(html.find("<th class=\"num\" title=\"unet&lt;pp&gt;\">B</th>"), std::string::npos);
  const std::string body = table_body(html, "comparison-table");
  EXPECT_EQ(count(body, "<tr"), 3u);
  // Dice label 1: A higher and Wilcoxon p < 0.05 -> A bold, both p-values highlighted.
  EXPECT_NE(body.find("<td>label 1</td><td class=\"num\">3</td>"
                      "<td class=\"num better\">0.850 &plusmn; 0.050</td>"
                      "<td class=\"num\">0.800 &plusmn; 0.060</td><td class=\"num\">+0.050</td>"
                      "<td class=\"num sig\">0.0120</td><td class=\"num sig\">0.0300</td>"),
            std::string::npos)
      << body;
  // Dice label 2: no difference found -> nothing bold, nothing highlighted.
  EXPECT_NE(body.find("<td class=\"num\">0.600 &plusmn; 0.100</td><td class=\"num\">0.620 "
                      "&plusmn; 0.100</td><td class=\"num\">-0.020</td><td class=\"num\">0.5000"
                      "</td><td class=\"num\">0.7500</td>"),
            std::string::npos)
      << body;
  // HD95: lower is better, so B is bold.
  EXPECT_NE(body.find("<td class=\"num\">3 &plusmn; 1</td><td class=\"num better\">2 &plusmn; "
                      "0.5</td><td class=\"num\">+1</td><td class=\"num\">0.2000</td>"
                      "<td class=\"num sig\">0.0100</td>"),
            std::string::npos)
      << body;
}

// A constant image is drawn black; heat 2 (the maximum, t = 1) blends white at 0.75 -> 191,
// heat 1 (t = 0.5) blends (255, 128, 0) at 0.375 -> (96, 48, 0); heat 0 leaves black.
TEST(Report, AttributionHeatIsScaledByItsMaximum) {
  const at::Tensor image = at::ones({3, 4});
  at::Tensor heat = at::zeros({3, 4});
  heat[1][1] = 2.0;
  heat[1][2] = 1.0;
  const RgbImage img = render_heat(image, heat, at::Tensor(), 1);
  ASSERT_EQ(img.width, 4);
  ASSERT_EQ(img.height, 3);
  auto pixel = [&](int y, int x) {
    const size_t i = static_cast<size_t>(3 * (y * 4 + x));
    return std::vector<int>{img.rgb[i], img.rgb[i + 1], img.rgb[i + 2]};
  };
  EXPECT_EQ(pixel(1, 1), (std::vector<int>{191, 191, 191}));
  EXPECT_EQ(pixel(1, 2), (std::vector<int>{96, 48, 0}));
  EXPECT_EQ(pixel(0, 0), (std::vector<int>{0, 0, 0}));
}

TEST(Report, FindsAttributionMapsByManifestOrFileName) {
  test::TempDir dir;
  test::write_file(dir / "plain/c1_gradcam.nii.gz", "x");
  test::write_file(dir / "plain/c1.nii.gz", "x");
  test::write_file(dir / "plain/c2.nii", "x");
  EXPECT_EQ(find_attribution(dir / "plain", "c1"), dir / "plain/c1_gradcam.nii.gz");
  EXPECT_EQ(find_attribution(dir / "plain", "c2"), dir / "plain/c2.nii");
  EXPECT_EQ(find_attribution(dir / "plain", "c3"), fs::path());
  // An explain output folder: its manifest decides, file names do not.
  test::write_file(dir / "explain/manifest.csv",
                   "case_id,map,overlay,layer,target_class,status\n"
                   "c1,maps/c1_cam.nii.gz,c1.png,decoder.1,1,ok\n"
                   "c2,,,,,failed: no model\n");
  test::write_file(dir / "explain/c2_gradcam.nii.gz", "x");
  EXPECT_EQ(find_attribution(dir / "explain", "c1"), dir / "explain/maps/c1_cam.nii.gz");
  EXPECT_EQ(find_attribution(dir / "explain", "c2"), fs::path());
  EXPECT_EQ(find_attribution(dir / "explain", "c3"), fs::path());
}

TEST(Report, WritesNoTemporaryFilesAndBase64IsStandard) {
  test::TempDir dir;
  write_report(three_cases(), dir / "report.html");
  for (const auto& e : fs::recursive_directory_iterator(dir.path()))
    EXPECT_EQ(e.path().filename().string().rfind(".tmp", 0), std::string::npos) << e.path();
  EXPECT_EQ(base64({'f', 'o', 'o', 'b', 'a', 'r'}), "Zm9vYmFy");
  EXPECT_EQ(base64({'f', 'o'}), "Zm8=");
  EXPECT_EQ(base64({}), "");
  EXPECT_EQ(html_escape("<a href='x'>&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
}

}  // namespace
}  // namespace unetx::pipeline
