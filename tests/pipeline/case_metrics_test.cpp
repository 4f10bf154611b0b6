// Per-case metrics on physical grids, grid transfer for predictions on another grid, and the
// paired comparison of two evaluations: hand-computed expectations.
#include <gtest/gtest.h>

#include <cmath>

#include "pipeline/case_metrics.h"
#include "pipeline/comparison.h"
#include "pipeline/resample_onto.h"

namespace unetx::pipeline {
namespace {

io::Volume label_map(int64_t z, int64_t y, int64_t x, io::Vec3 spacing) {
  io::Volume v;
  v.data = at::zeros({1, z, y, x}, at::kByte);
  v.geometry.spacing = spacing;
  return v;
}

TEST(CaseMetrics, ShiftedBoxOnAnAnisotropicGrid) {
  // Reference: a 4x4x2 box; prediction: the same box shifted by one voxel along x.
  // Spacing (x, y, z) = (2, 1, 3) mm: a voxel is 6 mm^3.
  io::Volume ref = label_map(4, 6, 8, {2, 1, 3});
  io::Volume pred = ref;
  pred.data = ref.data.clone();
  ref.data[0].slice(0, 1, 3).slice(1, 1, 5).slice(2, 2, 6).fill_(1);
  pred.data[0].slice(0, 1, 3).slice(1, 1, 5).slice(2, 3, 7).fill_(1);
  const auto metrics = evaluate_labels(pred, ref, {}, EvaluationOptions{});
  ASSERT_EQ(metrics.size(), 1u);
  const LabelMetrics& m = metrics[0];
  EXPECT_EQ(m.label, 1);
  // 32 voxels each, 24 shared: Dice 48/64, IoU 24/40.
  EXPECT_DOUBLE_EQ(metric_value(m, "dice"), 0.75);
  EXPECT_DOUBLE_EQ(metric_value(m, "iou"), 0.6);
  EXPECT_DOUBLE_EQ(metric_value(m, "specificity"), (192.0 - 40.0) / (192.0 - 32.0));
  EXPECT_DOUBLE_EQ(metric_value(m, "vol_ref_ml"), 32 * 6 / 1000.0);
  EXPECT_DOUBLE_EQ(metric_value(m, "rel_vol_diff"), 0.0);
  // Every surface voxel of the box is a surface voxel of the shifted box or one x step (2 mm)
  // from one: the largest distance is 2 mm; the x faces are 2 mm off.
  EXPECT_NEAR(metric_value(m, "hd"), 2.0, 1e-12);
  EXPECT_NEAR(metric_value(m, "hd95"), 2.0, 1e-12);
  EXPECT_GT(metric_value(m, "nsd"), 0.0);
  EXPECT_LT(metric_value(m, "nsd"), 1.0);
  EXPECT_DOUBLE_EQ(evaluate_labels(pred, ref, {}, {2.0, false})[0].surface.nsd, 1.0);
}

TEST(CaseMetrics, MissedStructureConventions) {
  io::Volume ref = label_map(3, 4, 5, {1, 1, 1});
  io::Volume pred = ref;
  pred.data = ref.data.clone();
  ref.data[0][1][1][1] = 2;
  auto m = evaluate_labels(pred, ref, {2}, EvaluationOptions{});
  EXPECT_EQ(m[0].surface.empty, "prediction");
  EXPECT_TRUE(std::isnan(metric_value(m[0], "hd95")));
  EXPECT_DOUBLE_EQ(metric_value(m[0], "dice"), 0.0);
  EXPECT_DOUBLE_EQ(metric_value(m[0], "rel_vol_diff"), -1.0);
  // With the diagonal convention the miss costs the image diagonal: sqrt(25 + 16 + 9) mm.
  m = evaluate_labels(pred, ref, {2}, {1.0, true});
  EXPECT_NEAR(metric_value(m[0], "hd"), std::sqrt(50.0), 1e-12);
}

TEST(ResampleOnto, FlippedAndShiftedGridTakesTheNearestSourceVoxel) {
  // Source: x = 0..4 along +x at 1 mm. Target: 2 mm voxels along -x starting at x = 4 mm.
  io::Volume src = label_map(1, 1, 5, {1, 1, 1});
  for (int64_t x = 0; x < 5; ++x) src.data[0][0][0][x] = x + 1;
  io::Geometry target;
  target.spacing = {2, 1, 1};
  target.origin = {4, 0, 0};
  target.direction = {-1, 0, 0, 0, 1, 0, 0, 0, 1};
  const io::Volume out = resample_onto_nearest(src, target, {4, 1, 1});
  // Target voxels sit at x = 4, 2, 0, -2 mm -> source values 5, 3, 1 and 0 (outside).
  EXPECT_EQ(out.data[0][0][0][0].item<int>(), 5);
  EXPECT_EQ(out.data[0][0][0][1].item<int>(), 3);
  EXPECT_EQ(out.data[0][0][0][2].item<int>(), 1);
  EXPECT_EQ(out.data[0][0][0][3].item<int>(), 0);
  EXPECT_EQ(out.data.scalar_type(), at::kByte);
  EXPECT_TRUE(out.geometry.same_as(target));
}

TEST(Comparison, PairsRowsOnCaseAndLabel) {
  EvaluationTables a, b;
  const double da[] = {12, 15, 9, 20, 17, 11, 14, 18};
  const double db[] = {10, 11, 10, 14, 10, 6, 11, 5};
  for (int i = 0; i < 8; ++i) {
    CaseMetricRow ra{"c" + std::to_string(i), 1, "", {}, ""};
    CaseMetricRow rb = ra;
    for (const auto& m : metric_names()) {
      ra.values[m] = da[i];
      rb.values[m] = db[i];
    }
    a.rows.push_back(ra);
    b.rows.push_back(rb);
  }
  b.rows.push_back({"only_in_b", 1, "", a.rows[0].values, ""});
  const auto rows = compare_evaluations(a, b);
  ASSERT_EQ(rows.size(), metric_names().size());
  EXPECT_EQ(rows[0].n, 8);
  EXPECT_NEAR(rows[0].t_p, 0.012318359081772874, 1e-9);  // scipy.stats.ttest_rel
  EXPECT_NEAR(rows[0].wilcoxon_p, 0.015625, 1e-12);      // scipy.stats.wilcoxon
  EXPECT_NEAR(rows[0].mean_a, 14.5, 1e-12);
  const std::string table = comparison_table(rows, "A", "B");
  EXPECT_NE(table.find("t-test p"), std::string::npos);
  EXPECT_NE(table.find("0.0123"), std::string::npos) << table;
}

}  // namespace
}  // namespace unetx::pipeline
