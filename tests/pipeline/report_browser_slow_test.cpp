// report.html in a real browser: headless Chromium (Debian package `chromium`) loads it without
// console messages, its screenshot shows the plots, and the table script sorts the rows.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "io/png.h"
#include "pipeline/plot_scene.h"
#include "pipeline/report.h"
#include "tests/io/temp_dir.h"

namespace unetx::pipeline {
namespace {

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string chromium() {
  for (const char* p : {"/usr/bin/chromium", "/usr/bin/chromium-browser"})
    if (fs::exists(p)) return p;
  return "";
}

// Runs headless Chromium on `url` with extra arguments; stdout and stderr go to files.
// A private profile folder keeps parallel runs (and other users' browsers) apart.
int run_chromium(const test::TempDir& dir, const std::string& args, const std::string& url,
                 const std::string& name) {
  const std::string command =
      chromium() +
      " --headless --no-sandbox --disable-gpu --no-first-run --disable-extensions"
      " --enable-logging=stderr --v=0 --user-data-dir='" +
      (dir / ("profile-" + name)).string() + "' " + args + " '" + url + "' > '" +
      (dir / (name + ".out")).string() + "' 2> '" + (dir / (name + ".err")).string() + "'";
  return std::system(("timeout 120 " + command).c_str());
}

// Console lines of the page (console.log/error, uncaught exceptions): Chromium logs them all as
// "...:CONSOLE(...)"; its own start-up noise (D-Bus, GPU, sandbox) never carries that tag.
std::vector<std::string> console_lines(const fs::path& stderr_file) {
  std::vector<std::string> lines;
  std::ifstream in(stderr_file);
  for (std::string line; std::getline(in, line);)
    if (line.find(":CONSOLE") != std::string::npos || line.find("Uncaught") != std::string::npos)
      lines.push_back(line);
  return lines;
}

// Every section on: two labels, two folds, a paired comparison, training logs, uncertainty,
// thumbnails; a NaN Dice to check that undefined values sort last.
ReportInputs full_inputs(const test::TempDir& dir) {
  ReportInputs in;
  in.title = "Browser test";
  in.metrics = {"dice", "hd95"};
  const std::vector<std::string> ids{"case_2", "case_10", "case_1", "case_3"};
  const std::vector<double> dice{0.62, 0.91, std::nan(""), 0.35};
  for (size_t c = 0; c < ids.size(); ++c) {
    in.rows.push_back(
        {ids[c], 1, "", {{"dice", dice[c]}, {"hd95", 1.5 + static_cast<double>(c)}}, ""});
    in.rows.push_back({ids[c], 2, "", {{"dice", 0.5 + 0.1 * c}, {"hd95", 4.0 - c}}, ""});
  }
  for (auto& r : in.rows) r.fold = r.case_id == "case_1" || r.case_id == "case_3" ? "1" : "0";
  in.cross_validation = cross_validation(in.rows);
  in.comparison = {{"dice", 1, 3, 0.63, 0.28, 0.55, 0.2, 0.04, 0.25},
                   {"hd95", 2, 4, 2.5, 1.29, 3.1, 1.1, 0.3, 0.01}};
  in.comparison_a = "unet";
  in.comparison_b = "unet++";
  test::write_file(dir / "log.jsonl",
                   "{\"epoch\":0,\"train_loss\":0.9,\"val_dice\":0.4}\n"
                   "{\"epoch\":1,\"train_loss\":0.6,\"val_dice\":0.6}\n"
                   "{\"epoch\":2,\"train_loss\":0.4,\"val_dice\":0.7}\n");
  in.training_logs = {{"fold 0", dir / "log.jsonl"}};
  in.uncertainty = {{"case_2", 0.3}, {"case_10", 0.1}, {"case_3", 0.5}};
  at::Tensor image = at::rand({3, 32, 32});
  at::Tensor ref = at::zeros({3, 32, 32}, at::kLong);
  ref.index_put_({1, at::indexing::Slice(8, 24), at::indexing::Slice(8, 20)}, 1);
  in.thumbnails = {
      thumbnail_from_volumes("case_10", CaseThumbnail::Kind::kBest, image, ref, ref, image),
      thumbnail_from_volumes("case_3", CaseThumbnail::Kind::kWorst, image, ref,
                             at::roll(ref, 5, 2))};
  return in;
}

// (case id, label) of the table rows in document order.
std::vector<std::string> row_order(const std::string& dom) {
  std::vector<std::string> rows;
  const std::regex row("<tr class=\"case-row\"[^>]*><td>([^<]*)</td><td>([^<]*)</td>");
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), row); it != std::sregex_iterator();
       ++it)
    rows.push_back((*it)[1].str() + "/" + (*it)[2].str());
  return rows;
}

class ReportBrowserSlow : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(chromium().empty())
        << "headless Chromium is needed: install the Debian package `chromium` "
           "(apt-get install --no-install-recommends chromium)";
    write_report(full_inputs(dir_), dir_ / "report.html");
  }
  std::string url(const std::string& hash = "") const {
    return "file://" + (dir_ / "report.html").string() + hash;
  }
  test::TempDir dir_;
};

TEST_F(ReportBrowserSlow, LoadsWithoutConsoleMessagesAndTheScreenshotShowsThePlots) {
  const fs::path shot = dir_ / "shot.png";
  ASSERT_EQ(run_chromium(dir_, "--window-size=1280,2000 --screenshot='" + shot.string() + "'",
                         url(), "shot"),
            0)
      << read_text(dir_ / "shot.err");
  EXPECT_EQ(console_lines(dir_ / "shot.err"), std::vector<std::string>{});
  int w = 0, h = 0;
  const std::vector<uint8_t> rgb = io::read_png_rgb(shot, w, h);
  EXPECT_EQ(w, 1280);
  EXPECT_EQ(h, 2000);
  std::set<uint32_t> colours;
  size_t series_pixels = 0;  // box outlines and dots of label 1 in the first series colour
  const plot::Colour blue = plot::series_colour(0);
  for (size_t i = 0; i + 2 < rgb.size(); i += 3) {
    colours.insert(rgb[i] << 16 | rgb[i + 1] << 8 | rgb[i + 2]);
    if (std::abs(rgb[i] - blue.r) < 8 && std::abs(rgb[i + 1] - blue.g) < 8 &&
        std::abs(rgb[i + 2] - blue.b) < 8)
      ++series_pixels;
  }
  EXPECT_GT(colours.size(), 500u) << "a blank or unstyled page has few colours";
  EXPECT_GT(series_pixels, 200u) << "the box plots should be visible in the first 2000 px";
}

TEST_F(ReportBrowserSlow, HashSortsTheCaseTableOnLoad) {
  ASSERT_EQ(run_chromium(dir_, "--dump-dom", url("#sort=dice"), "up"), 0);
  EXPECT_EQ(console_lines(dir_ / "up.err"), std::vector<std::string>{});
  // Dice ascending across both labels, the undefined Dice of case_1 label 1 last.
  EXPECT_EQ(row_order(read_text(dir_ / "up.out")),
            (std::vector<std::string>{"case_3/label 1", "case_2/label 2", "case_10/label 2",
                                      "case_2/label 1", "case_1/label 2", "case_3/label 2",
                                      "case_10/label 1", "case_1/label 1"}));
  ASSERT_EQ(run_chromium(dir_, "--dump-dom", url("#sort=-dice"), "down"), 0);
  EXPECT_EQ(row_order(read_text(dir_ / "down.out")),
            (std::vector<std::string>{"case_10/label 1", "case_3/label 2", "case_1/label 2",
                                      "case_2/label 1", "case_10/label 2", "case_2/label 2",
                                      "case_3/label 1", "case_1/label 1"}));
  ASSERT_EQ(run_chromium(dir_, "--dump-dom", url("#sort=case_id"), "ids"), 0);
  const std::vector<std::string> ids = row_order(read_text(dir_ / "ids.out"));
  ASSERT_EQ(ids.size(), 8u);
  // Natural order: case_2 before case_10 (stable, so label 1 stays before label 2).
  EXPECT_EQ(ids[0], "case_1/label 1");
  EXPECT_EQ(ids[2], "case_2/label 1");
  EXPECT_EQ(ids[6], "case_10/label 1");
}

}  // namespace
}  // namespace unetx::pipeline
