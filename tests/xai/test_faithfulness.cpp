#include <gtest/gtest.h>

#include "tests/xai/linear_head_model.h"
#include "xai/faithfulness.h"
#include "xai/gradients.h"

namespace unetx::xai {
namespace {

using testing::LinearHeadModel;
using testing::sample_input;

// logit1 = x0 - 0.5 x1, logit0 = 2; region R = [[0,0,1],[1,1,1]] (see test_grad_cam.cpp).
LinearHeadModel linear_model() { return testing::class1_linear_model(); }
Objective fixed_class1(models::SegmentationModel& model, const at::Tensor& x) {
  Objective o;
  o.target_class = 1;
  return fix_region(model, x, o);
}
at::Tensor gradient() {
  const at::Tensor r = torch::tensor({0.0, 0.0, 1.0, 1.0, 1.0, 1.0}).view({2, 3});
  return at::stack({r, -0.5 * r}).unsqueeze(0);
}

TEST(Infidelity, ZeroWhenAttributionTimesPerturbationIsTheOutputChange) {
  // f linear: f(x) - f(x - I) = I . grad exactly, for every I.
  auto model = linear_model();
  const at::Tensor x = sample_input();
  torch::manual_seed(1);
  EXPECT_NEAR(infidelity(model, x, gradient(), fixed_class1(model, x), 32, 1.0, 5), 0.0, 1e-8);
}

TEST(Infidelity, DoubledGradientIsAsUnfaithfulAsNoAttribution) {
  // (I . 2g - I . g)^2 = (0 - I . g)^2 for every draw I, so with the same draws both are equal
  // and positive.
  auto model = linear_model();
  const at::Tensor x = sample_input();
  torch::manual_seed(5);
  const double doubled = infidelity(model, x, 2 * gradient(), fixed_class1(model, x), 16, 1.0);
  torch::manual_seed(5);
  const double none = infidelity(model, x, at::zeros_like(x), fixed_class1(model, x), 16, 1.0);
  EXPECT_GT(none, 0.1);
  EXPECT_NEAR(doubled, none, 1e-5 * none);
}

TEST(MaxSensitivity, ZeroForTheConstantGradientOfALinearModel) {
  auto model = linear_model();
  const at::Tensor x = sample_input();
  const Objective obj = fixed_class1(model, x);
  const at::Tensor phi = saliency(model, x, {}, obj, {});
  EXPECT_EQ(max_sensitivity(model, x, phi, at::zeros_like(x), obj, saliency, {}, 8, 0.5), 0.0);
}

TEST(MaxSensitivity, InputTimesGradientMovesByAtMostTheRadius) {
  // phi(x + d) - phi(x) = d * g: its norm is at most radius * ||g|| and positive.
  auto model = linear_model();
  const at::Tensor x = sample_input();
  const Objective obj = fixed_class1(model, x);
  const at::Tensor phi = input_x_gradient(model, x, {}, obj, {});
  const double s = max_sensitivity(model, x, phi, {}, obj, input_x_gradient, {}, 8, 0.1);
  EXPECT_GT(s, 0.0);
  EXPECT_LE(s, 0.1 * gradient().norm().item<double>() / phi.norm().item<double>() + 1e-6);
}

TEST(DeletionInsertion, CurvesOfATwoVoxelModel) {
  // One channel, logit1 = x, logit0 = 0: x = [4, 1] is all class 1, f = 5. Ranked by phi = x:
  // deletion (to 0) gives f = 5, 1, 0 at fractions 0, 1/2, 1 -> area (5+1)/4 + (1+0)/4 = 1.75;
  // insertion gives 0, 4, 5 -> area (0+4)/4 + (4+5)/4 = 3.25.
  LinearHeadModel model(at::ones({1, 1}), torch::tensor({{0.0}, {1.0}}), torch::tensor({0.0, 0.0}));
  const at::Tensor x = torch::tensor({4.0, 1.0}).view({1, 1, 1, 2});
  const Objective obj = fixed_class1(model, x);
  const Curve del = deletion_curve(model, x, x, at::zeros_like(x), obj, 2, 2);
  ASSERT_EQ(del.scores.size(), 3u);
  EXPECT_NEAR(del.scores[0], 5.0, 1e-6);
  EXPECT_NEAR(del.scores[1], 1.0, 1e-6);
  EXPECT_NEAR(del.scores[2], 0.0, 1e-6);
  EXPECT_NEAR(del.auc, 1.75, 1e-6);
  const Curve ins = insertion_curve(model, x, x, at::zeros_like(x), obj, 2, 1);
  EXPECT_NEAR(ins.scores[1], 4.0, 1e-6);
  EXPECT_NEAR(ins.auc, 3.25, 1e-6);
}

TEST(Faithfulness, AllScoresOfTheGradientOnALinearModel) {
  auto model = linear_model();
  const at::Tensor x = sample_input();
  Objective o;
  o.target_class = 1;
  torch::manual_seed(3);
  const FaithfulnessScores s =
      faithfulness(model, x, input_x_gradient(model, x, {}, fix_region(model, x, o), {}),
                   at::zeros_like(x), o, input_x_gradient, {}, {});
  // x * grad is exact for f(x) - f(0) but not for small perturbations: infidelity > 0 here.
  EXPECT_GT(s.infidelity, 0.0);
  EXPECT_GT(s.max_sensitivity, 0.0);
  // Deleting everything leaves f = 0, inserting everything gives f(x): the normalized areas lie
  // in between.
  EXPECT_GT(s.insertion_auc, s.deletion_auc);
}

}  // namespace
}  // namespace unetx::xai
