// Learning-rate schedules, early stopping and the study's BCE + IoU + Dice loss against values
// worked out by hand from their formulas.
#include <gtest/gtest.h>

#include <cmath>

#include "pipeline/losses.h"
#include "pipeline/optimization.h"

namespace unetx::pipeline {
namespace {

TEST(LrSchedule, PolyAndCosineFollowTheirFormulas) {
  const LrSchedule poly("poly", 0.01, 100);
  EXPECT_DOUBLE_EQ(poly.lr(0), 0.01);
  EXPECT_NEAR(poly.lr(50), 0.01 * std::pow(0.5, 0.9), 1e-12);
  EXPECT_NEAR(poly.lr(100), 0.0, 1e-12);
  const LrSchedule cosine("cosine", 0.01, 100);
  EXPECT_NEAR(cosine.lr(0), 0.01, 1e-12);
  EXPECT_NEAR(cosine.lr(50), 0.0001 + (0.01 - 0.0001) / 2, 1e-12);
  EXPECT_NEAR(cosine.lr(100), 0.0001, 1e-12);
  EXPECT_DOUBLE_EQ(LrSchedule("constant", 0.01, 100).lr(73), 0.01);
  EXPECT_THROW(LrSchedule("step", 0.01, 10), std::invalid_argument);
}

TEST(LrSchedule, PlateauHalvesAfterPatienceBadEpochsAndResumes) {
  LrSchedule s("plateau", 0.01, 100, /*patience=*/5);
  s.report(1.0);
  for (int i = 0; i < 5; ++i) s.report(1.0);  // 5 epochs without a new best: not yet
  EXPECT_DOUBLE_EQ(s.lr(0), 0.01);
  s.report(1.1);  // the 6th
  EXPECT_DOUBLE_EQ(s.lr(0), 0.005);
  LrSchedule resumed("plateau", 0.01, 100);
  resumed.load(s.state());
  EXPECT_DOUBLE_EQ(resumed.lr(0), 0.005);
  resumed.report(0.5);  // a new best resets the count
  for (int i = 0; i < 5; ++i) resumed.report(0.6);
  EXPECT_DOUBLE_EQ(resumed.lr(0), 0.005);
}

TEST(EarlyStopping, StopsAfterPatienceEpochsWithoutImprovement) {
  EarlyStopping dice(2, /*higher_is_better=*/true);
  EXPECT_FALSE(dice.update(0.5));
  EXPECT_FALSE(dice.update(0.6));
  EXPECT_FALSE(dice.update(0.6));  // equal is not better: 1 bad epoch
  EXPECT_TRUE(dice.update(0.55));  // 2 bad epochs
  EarlyStopping loss(1, /*higher_is_better=*/false);
  EXPECT_FALSE(loss.update(2.0));
  EXPECT_FALSE(loss.update(1.0));
  EarlyStopping resumed(1, false);
  resumed.load(loss.state());
  EXPECT_TRUE(resumed.update(1.5));
  EXPECT_FALSE(EarlyStopping(0, true).update(-1.0));  // patience 0 never stops
}

TEST(Optimizer, ByNameWithNesterovSgd) {
  auto w = torch::zeros({3}, torch::requires_grad());
  auto sgd = make_optimizer({"sgd", 0.1, 0.0}, {w});
  const auto& o = static_cast<const torch::optim::SGDOptions&>(sgd->param_groups()[0].options());
  EXPECT_TRUE(o.nesterov());
  EXPECT_DOUBLE_EQ(o.momentum(), 0.99);
  set_learning_rate(*sgd, 0.02);
  EXPECT_DOUBLE_EQ(sgd->param_groups()[0].options().get_lr(), 0.02);
  EXPECT_NE(dynamic_cast<torch::optim::AdamW*>(make_optimizer({"adamw", 0.1, 0.01}, {w}).get()),
            nullptr);
  EXPECT_THROW(make_optimizer({"lbfgs", 0.1, 0.0}, {w}), std::invalid_argument);
}

TEST(Losses, BceIouDiceByHand) {
  // Two voxels, K = 2: p1 = 3/4 on a foreground voxel and 1/4 on a background voxel.
  const auto logits = torch::tensor({0.0, 0.0, std::log(3.0), -std::log(3.0)}).view({1, 2, 1, 2});
  const auto target = torch::tensor({1, 0}, torch::kLong).view({1, 1, 2});
  // BCE = -(ln 0.75 + ln 0.75) / 2; I = 0.75, P = G = 1: Dice 0.75, IoU 0.75 / 1.25 = 0.6.
  const double expected = -std::log(0.75) + (1 - 0.6) + (1 - 0.75);
  EXPECT_NEAR(bce_iou_dice_loss(logits, target).item<double>(), expected, 1e-4);
  EXPECT_NEAR(training_loss("bce_iou_dice", logits, target).item<double>(), expected, 1e-4);
  EXPECT_THROW(training_loss("focal", logits, target), std::invalid_argument);
}

}  // namespace
}  // namespace unetx::pipeline
