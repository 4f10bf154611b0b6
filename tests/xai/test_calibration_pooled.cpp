// AUROC and ECE pooled over the voxels of a cohort (xai/calibration_pooled.h) on two hand-made
// cases, worked out by hand below: the pooled values are one AUROC / ECE over all six voxels,
// not the mean of the two cases' values, and uncertainty_summary.json reports both.
//
//   case A: u = .1 .2 .3 .4, error 0 1 0 1; confidence .9 .9 .62 .62, correct 1 1 1 0
//   case B: u = .05 .5,      error 1 0;     confidence .9 .62,        correct 0 1
// AUROC: A 3/4 (0.2 beats 0.1; 0.4 beats 0.1, 0.3); B 0; mean 3/8. Pooled: positives .2 .4 .05
//   against negatives .1 .3 .5 win 1 + 2 + 0 of 9 pairs = 1/3.
// ECE, 15 bins (0.9 -> bin 13, 0.62 -> bin 9): A (|2 - 1.8| + |1 - 1.24|) / 4 = 0.11;
//   B (|0 - .9| + |1 - .62|) / 2 = 0.64; mean 0.375. Pooled: bin 13 |2 - 2.7|, bin 9 |2 - 1.86|,
//   (0.7 + 0.14) / 6 = 0.14.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/error.h"
#include "io/json_file.h"
#include "tests/io/temp_dir.h"
#include "xai/calibration.h"
#include "xai/calibration_pooled.h"
#include "xai/uncertainty_report.h"

namespace unetx::xai {
namespace {

struct HandCase {
  at::Tensor u, error, confidence, correct;
};

HandCase case_a() {
  return {torch::tensor({0.1, 0.2, 0.3, 0.4}, at::kDouble), torch::tensor({0, 1, 0, 1}),
          torch::tensor({0.9, 0.9, 0.62, 0.62}, at::kDouble), torch::tensor({1, 1, 1, 0})};
}

HandCase case_b() {
  return {torch::tensor({0.05, 0.5}, at::kDouble), torch::tensor({1, 0}),
          torch::tensor({0.9, 0.62}, at::kDouble), torch::tensor({0, 1})};
}

void add(const HandCase& c, RankHistogram& h, CalibrationSums& s) {
  h.add(c.u, c.error);
  s.add(c.confidence, c.correct);
}

TEST(PooledCalibration, PerCaseSumsGiveTheExactPerCaseValues) {
  for (const HandCase& c : {case_a(), case_b()}) {
    RankHistogram h;
    CalibrationSums s(15);
    add(c, h, s);
    EXPECT_DOUBLE_EQ(h.auroc(), auroc(c.u, c.error));
    EXPECT_NEAR(s.ece(), expected_calibration_error(c.confidence, c.correct, 15), 1e-12);
  }
  RankHistogram a;
  CalibrationSums sa(15);
  add(case_a(), a, sa);
  EXPECT_DOUBLE_EQ(a.auroc(), 0.75);
  EXPECT_NEAR(sa.ece(), 0.11, 1e-12);
}

TEST(PooledCalibration, PoolsVoxelsRatherThanAveragingCases) {
  RankHistogram h, hb;
  CalibrationSums s(15), sb(15);
  add(case_a(), h, s);
  add(case_b(), hb, sb);
  EXPECT_DOUBLE_EQ(hb.auroc(), 0.0);
  EXPECT_NEAR(sb.ece(), 0.64, 1e-12);
  h.merge(hb);
  s.merge(sb);
  EXPECT_NEAR(h.auroc(), 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(s.ece(), 0.14, 1e-12);
  EXPECT_GT(std::abs(h.auroc() - 0.375), 0.04);  // mean of the cases' AUROC: (3/4 + 0) / 2
  EXPECT_GT(std::abs(s.ece() - 0.375), 0.2);     // mean of the cases' ECE: (0.11 + 0.64) / 2
}

TEST(PooledCalibration, TiesWithinABinCountHalfAndEmptySidesAreNaN) {
  RankHistogram h;
  // 0.3 and 0.30001 share a bin of u / (1 + u): one tied pair, 1/2.
  h.add(torch::tensor({0.3, 0.30001}), torch::tensor({1, 0}));
  EXPECT_DOUBLE_EQ(h.auroc(), 0.5);
  RankHistogram only_errors;
  only_errors.add(torch::tensor({0.3, 7.0}), torch::tensor({1, 1}));
  EXPECT_TRUE(std::isnan(only_errors.auroc()));
  EXPECT_TRUE(std::isnan(CalibrationSums(15).ece()));
  EXPECT_THROW(CalibrationSums(15).merge(CalibrationSums(10)), Error);
  EXPECT_THROW(h.add(torch::tensor({0.3}), torch::tensor({1, 0})), Error);
}

TEST(PooledCalibration, SummaryReportsPooledAndCaseMeanValues) {
  test::TempDir dir;
  std::vector<io::ManifestRow> rows;
  int i = 0;
  for (const HandCase& c : {case_a(), case_b()}) {
    RankHistogram h;
    CalibrationSums s(15);
    add(c, h, s);
    const std::string id = "case" + std::to_string(i++);
    io::write_json(dir / (id + "_entropy_pooled.json"), pooled_to_json(h, s));
    io::ManifestRow row;
    row.case_id = id;
    row.columns = {{"entropy_pooled", id + "_entropy_pooled.json"},
                   {"entropy_dice", "0.5"},
                   {"entropy_auroc", std::to_string(auroc(c.u, c.error))},
                   {"entropy_ece", std::to_string(s.ece())}};
    rows.push_back(row);
  }
  write_uncertainty_tables(dir.path(), rows, {{"entropy", "entropy"}}, 15);
  const auto m = io::read_json(dir / "uncertainty_summary.json").at("methods").at("entropy");
  EXPECT_EQ(m.at("pooled_cases"), 2);
  EXPECT_EQ(m.at("pooled_voxels"), 6);
  EXPECT_EQ(m.at("pooled_error_voxels"), 3);
  EXPECT_NEAR(m.at("auroc_pooled").get<double>(), 1.0 / 3.0, 1e-12);
  EXPECT_NEAR(m.at("ece_pooled").get<double>(), 0.14, 1e-12);
  EXPECT_NEAR(m.at("auroc_case_mean").get<double>(), 0.375, 1e-6);
  EXPECT_NEAR(m.at("ece_case_mean").get<double>(), 0.375, 1e-6);
  // Another --ece-bins than the cases were scored with is refused, naming the file.
  EXPECT_THROW(write_uncertainty_tables(dir.path(), rows, {{"entropy", "entropy"}}, 10), Error);
}

}  // namespace
}  // namespace unetx::xai
