#include <gtest/gtest.h>

#include "models/attribution_mode.h"
#include "tests/xai/conv_relu_model.h"
#include "tests/xai/linear_head_model.h"
#include "xai/gradients.h"

namespace unetx::xai {
namespace {

using testing::ConvReluModel;
using testing::LinearHeadModel;
using testing::sample_input;

// logit1 = x0 - 0.5 x1 (identity stem), logit0 = 2. See test_grad_cam.cpp: the class-1 region of
// sample_input() is R = [[0,0,1],[1,1,1]] and f(x) = sum_R (x0 - 0.5 x1) = 3 + 3 + 5 + 4.5 = 15.5.
LinearHeadModel linear_model() { return testing::class1_linear_model(); }
const at::Tensor& region() {
  static const at::Tensor r = torch::tensor({0.0, 0.0, 1.0, 1.0, 1.0, 1.0}).view({2, 3});
  return r;
}
// df/dx: (1, 2, 2, 3) = [R, -0.5 R].
at::Tensor analytic_gradient() { return at::stack({region(), -0.5 * region()}).unsqueeze(0); }

Objective class1() {
  Objective o;
  o.target_class = 1;
  return o;
}

TEST(GradientMethods, SaliencyIsTheAbsoluteAnalyticGradient) {
  auto model = linear_model();
  const at::Tensor s = saliency(model, sample_input(), {}, class1(), {});
  EXPECT_TRUE(at::allclose(s, analytic_gradient().abs()));
  EXPECT_FALSE(s.requires_grad());
}

TEST(GradientMethods, InputTimesGradientSumsToTheLinearScore) {
  auto model = linear_model();
  const at::Tensor a = input_x_gradient(model, sample_input(), {}, class1(), {});
  EXPECT_TRUE(at::allclose(a, sample_input() * analytic_gradient()));
  EXPECT_NEAR(a.sum().item<double>(), 15.5, 1e-5);
}

TEST(GradientMethods, IntegratedGradientsOfALinearModelIsExactForAnyStepCount) {
  // IG from a zero baseline of a linear f is x * grad whatever the steps; 3 steps in passes of 2
  // also exercise the batching of steps.
  auto model = linear_model();
  MethodOptions o;
  o.steps = 3;
  o.batch = 2;
  const at::Tensor x = sample_input();
  const at::Tensor ig = integrated_gradients(model, x, at::zeros_like(x), class1(), o);
  EXPECT_TRUE(at::allclose(ig, x * analytic_gradient(), 1e-5, 1e-5));
}

TEST(GradientMethods, SmoothGradOfALinearModelIsItsSaliency) {
  // The gradient of a linear f does not depend on x, so noise changes nothing (region fixed).
  auto model = linear_model();
  MethodOptions o;
  o.samples = 5;
  o.batch = 2;
  const at::Tensor s = smoothgrad(model, sample_input(), {}, class1(), o);
  EXPECT_TRUE(at::allclose(s, analytic_gradient().abs(), 1e-5, 1e-6));
}

TEST(GradientMethods, IntegratedGradientsCompletenessOnAReluNetwork) {
  // Stated tolerance: with 256 midpoint steps the sum of attributions is within 1% of
  // f(x) - f(x0) (f is piecewise linear along the path; each ReLU switch costs O(1/S)).
  ConvReluModel model(2, 6, 2, /*slope=*/0.0, /*seed=*/3);
  torch::manual_seed(11);
  const at::Tensor x = torch::randn({2, 2, 8, 8});
  const at::Tensor x0 = torch::randn({2, 2, 8, 8}) * 0.3;
  const Objective fixed = fix_region(model, x, class1());
  MethodOptions o;
  o.steps = 256;
  o.batch = 64;
  const at::Tensor ig = integrated_gradients(model, x, x0, fixed, o);
  const at::Tensor delta = objective_values(model, x, fixed) - objective_values(model, x0, fixed);
  for (int b = 0; b < 2; ++b) {
    const double d = delta[b].item<double>();
    ASSERT_GT(std::abs(d), 1.0);
    EXPECT_NEAR(ig[b].sum().item<double>(), d, 0.01 * std::abs(d)) << "sample " << b;
  }
}

TEST(GradientMethods, DeepLiftSumsToDeltaExactlyOnConvRelu) {
  for (double slope : {0.0, 0.2}) {
    ConvReluModel model(2, 6, 2, slope, /*seed=*/5);
    torch::manual_seed(17);
    const at::Tensor x = torch::randn({2, 2, 8, 8});
    for (const at::Tensor& x0 : {at::zeros_like(x), torch::randn({2, 2, 8, 8})}) {
      const Objective fixed = fix_region(model, x, class1());
      const at::Tensor dl = deeplift(model, x, x0, fixed, {});
      const at::Tensor delta =
          objective_values(model, x, fixed) - objective_values(model, x0, fixed);
      for (int b = 0; b < 2; ++b) {
        const double d = delta[b].item<double>();
        EXPECT_NEAR(dl[b].sum().item<double>(), d, 1e-4 * (1.0 + std::abs(d)))
            << "slope " << slope << " sample " << b;
      }
    }
  }
}

TEST(GradientMethods, DeepLiftOfALinearModelIsDeltaTimesGradient) {
  auto model = linear_model();
  const at::Tensor x = sample_input(), x0 = at::full_like(x, 1.0);
  const at::Tensor dl = deeplift(model, x, x0, class1(), {});
  EXPECT_TRUE(at::allclose(dl, (x - x0) * analytic_gradient(), 1e-5, 1e-5));
  EXPECT_EQ(models::attribution_mode(), models::AttributionMode::off);
}

TEST(GuidedBackprop, ActivationPassesOnlyPositiveGradients) {
  torch::manual_seed(2);
  const at::Tensor x = torch::randn({64}).requires_grad_(true);
  const at::Tensor upstream = torch::randn({64});
  at::Tensor g;
  {
    models::AttributionModeGuard guided(models::AttributionMode::guided);
    g = torch::autograd::grad({models::attribution_leaky_relu(x, 0.0)}, {x}, {upstream})[0];
  }
  EXPECT_GE(g.min().item<float>(), 0.0f);
  EXPECT_TRUE(at::equal(g, upstream.clamp_min(0) * x.detach().gt(0).to(at::kFloat)));
  EXPECT_EQ(models::attribution_mode(), models::AttributionMode::off);
}

TEST(GuidedBackprop, NoNegativeGradientReachesTheReluInputOfANetwork) {
  ConvReluModel model(2, 6, 2, /*slope=*/0.0, /*seed=*/7);
  torch::manual_seed(4);
  const at::Tensor x = torch::randn({1, 2, 8, 8});
  const Objective fixed = fix_region(model, x, class1());
  auto gradient_at_relu_input = [&](models::AttributionMode mode) {
    models::AttributionModeGuard guard(mode);
    model.record_taps(true);
    const at::Tensor logits = model.forward(x.clone().requires_grad_(true));
    const at::Tensor a = model.taps().at("hidden");
    const at::Tensor g = torch::autograd::grad({fixed.scores(logits).sum()}, {a})[0];
    model.record_taps(false);
    return g;
  };
  // The ordinary gradient does go negative there (the head has negative weights), so the check
  // below can fail; the guided one never does.
  EXPECT_LT(gradient_at_relu_input(models::AttributionMode::off).min().item<float>(), 0.0f);
  EXPECT_GE(gradient_at_relu_input(models::AttributionMode::guided).min().item<float>(), 0.0f);
  const at::Tensor gb = guided_backprop(model, x, {}, fixed, {});
  EXPECT_EQ(gb.sizes(), x.sizes());
}

TEST(BlurredBaseline, KeepsAConstantImageAwayFromTheBorder) {
  const at::Tensor x = at::ones({1, 1, 24, 24});
  const at::Tensor b = blurred_baseline(x, 1.0);
  EXPECT_EQ(b.sizes(), x.sizes());
  EXPECT_NEAR(b[0][0][12][12].item<float>(), 1.0f, 1e-5);
  EXPECT_LT(b[0][0][0][0].item<float>(), 0.9f);  // zero padding darkens the corner
}

}  // namespace
}  // namespace unetx::xai
