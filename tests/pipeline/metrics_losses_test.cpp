#include <gtest/gtest.h>

#include <cmath>

#include "io/error.h"
#include "pipeline/losses.h"
#include "pipeline/metrics.h"

using namespace unetx::pipeline;

TEST(Metrics, HandComputedOverlap) {
  // Reference: 4 voxels of label 1; prediction: 6 voxels, 3 of them on the reference.
  auto ref = at::zeros({1, 2, 4, 4}, at::kByte);
  auto pred = at::zeros({1, 2, 4, 4}, at::kByte);
  ref[0][0][0].slice(0, 0, 4).fill_(1);   // (0,0,0..3)
  pred[0][0][0].slice(0, 1, 4).fill_(1);  // 3 overlapping
  pred[0][1][2].slice(0, 0, 3).fill_(1);  // 3 elsewhere
  const auto o = overlap(pred, ref, 1);
  EXPECT_EQ(o.tp, 3);
  EXPECT_EQ(o.fp, 3);
  EXPECT_EQ(o.fn, 1);
  EXPECT_EQ(o.tn, 32 - 7);
  EXPECT_DOUBLE_EQ(o.dice(), 6.0 / 10.0);
  EXPECT_DOUBLE_EQ(o.iou(), 3.0 / 7.0);
  EXPECT_DOUBLE_EQ(o.precision(), 0.5);
  EXPECT_DOUBLE_EQ(o.recall(), 0.75);
}

TEST(Metrics, EmptyConventions) {
  const auto empty = at::zeros({1, 3, 3, 3}, at::kLong);
  auto one = empty.clone();
  one[0][1][1][1] = 2;
  const auto both = overlap(empty, empty, 2);
  EXPECT_EQ(both.dice(), 1.0);
  EXPECT_EQ(both.iou(), 1.0);
  EXPECT_EQ(both.precision(), 1.0);
  EXPECT_EQ(both.recall(), 1.0);
  const auto missed = overlap(empty, one, 2);  // nothing predicted, something there
  EXPECT_EQ(missed.dice(), 0.0);
  EXPECT_EQ(missed.iou(), 0.0);
  EXPECT_EQ(missed.precision(), 0.0);
  EXPECT_EQ(missed.recall(), 0.0);
  const auto spurious = overlap(one, empty, 2);
  EXPECT_EQ(spurious.dice(), 0.0);
  EXPECT_EQ(spurious.recall(), 0.0);
}

TEST(Metrics, DicePerClassSkipsBackground) {
  auto ref = at::tensor({0, 1, 1, 2, 2, 2}, at::kLong);
  auto pred = at::tensor({0, 1, 2, 2, 2, 0}, at::kLong);
  const auto d = dice_per_class(pred, ref, 4);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_DOUBLE_EQ(d[0], 2.0 / 3.0);  // tp 1, fp 0, fn 1
  EXPECT_DOUBLE_EQ(d[1], 4.0 / 6.0);  // tp 2, fp 1, fn 1
  EXPECT_DOUBLE_EQ(d[2], 1.0);        // label 3 absent from both
}

TEST(Metrics, ShapeMismatchAndFloatInputAreErrors) {
  EXPECT_THROW(overlap(at::zeros({2, 2}, at::kByte), at::zeros({2, 3}, at::kByte), 1),
               unetx::Error);
  EXPECT_THROW(overlap(at::zeros({2, 2}), at::zeros({2, 2}), 1), unetx::Error);
}

TEST(Losses, PerfectConfidentLogitsGiveZeroLoss) {
  const auto target = at::randint(0, 3, {2, 4, 5, 6}, at::kLong);
  const auto logits =
      torch::nn::functional::one_hot(target, 3).permute({0, 4, 1, 2, 3}).to(at::kFloat) * 100.0;
  EXPECT_NEAR(dice_ce_loss(logits, target).item<double>(), 0.0, 1e-5);
}

TEST(Losses, UniformLogitsGiveCrossEntropyLnK) {
  for (int64_t k : {2, 3, 5}) {
    const auto target = at::randint(0, k, {2, 7, 9}, at::kLong);  // 2-D
    const auto logits = at::zeros({2, k, 7, 9});
    const double total = dice_ce_loss(logits, target).item<double>();
    const double dice = soft_dice_loss(logits, target).item<double>();
    EXPECT_NEAR(total - dice, std::log(static_cast<double>(k)), 1e-6) << "K = " << k;
    // Soft Dice of p = 1/K against the reference: per class 2 n_k/K / (N/K + n_k).
    const double n = 2 * 7 * 9;
    double mean = 0;
    for (int64_t c = 1; c < k; ++c) {
      const double nk = target.eq(c).sum().item<double>();
      mean += (2 * nk / k + 1e-5) / (n / k + nk + 1e-5);
    }
    EXPECT_NEAR(dice, 1 - mean / (k - 1), 1e-5);
  }
}

TEST(Losses, GradientMatchesFiniteDifferences) {
  torch::manual_seed(3);
  const auto target = at::randint(0, 3, {2, 2, 3, 2}, at::kLong);
  auto logits = torch::randn({2, 3, 2, 3, 2}, torch::kDouble).requires_grad_();
  dice_ce_loss(logits, target).backward();
  const auto grad = logits.grad().clone();
  const double h = 1e-6;
  auto flat = logits.detach().clone();
  auto view = flat.view({-1});
  double worst = 0;
  for (int64_t i = 0; i < view.numel(); ++i) {
    const double v = view[i].item<double>();
    view[i] = v + h;
    const double up = dice_ce_loss(flat, target).item<double>();
    view[i] = v - h;
    const double down = dice_ce_loss(flat, target).item<double>();
    view[i] = v;
    worst = std::max(worst, std::abs((up - down) / (2 * h) - grad.view({-1})[i].item<double>()));
  }
  EXPECT_LT(worst, 1e-6);
}

TEST(Losses, ShapeMismatchIsAnError) {
  EXPECT_THROW(dice_ce_loss(at::zeros({1, 2, 4, 4}), at::zeros({1, 4, 5}, at::kLong)),
               unetx::Error);
  EXPECT_THROW(dice_ce_loss(at::zeros({1, 1, 4, 4}), at::zeros({1, 4, 4}, at::kLong)),
               unetx::Error);
}
