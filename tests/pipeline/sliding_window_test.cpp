#include "pipeline/sliding_window.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "io/error.h"

using namespace unetx::pipeline;

namespace {

int64_t g_calls = 0;

at::Tensor identity(const at::Tensor& batch) {
  ++g_calls;
  return batch;
}

void expect_identity(const at::Tensor& image, const SlidingWindowOptions& o) {
  const auto out = sliding_window(image, image.size(0), o, identity);
  ASSERT_EQ(out.sizes(), image.sizes());
  EXPECT_LT((out - image).abs().max().item<double>(), 1e-5);
}

}  // namespace

TEST(GaussianImportance, PeakInTheCentreAndPositiveEverywhere) {
  const auto g = gaussian_importance({9, 7, 5});
  ASSERT_EQ(g.sizes(), (at::IntArrayRef{5, 7, 9}));
  EXPECT_FLOAT_EQ(g[2][3][4].item<float>(), 1.0f);
  EXPECT_FLOAT_EQ(g.max().item<float>(), 1.0f);
  EXPECT_GE(g.min().item<float>(), kMinImportance);
  EXPECT_LT(g[0][0][0].item<float>(), g[1][2][3].item<float>());
  // Symmetric under flips.
  EXPECT_TRUE(at::allclose(g, g.flip({0, 1, 2})));
}

TEST(SlidingWindow, Identity3dOnVolumeNotAMultipleOfThePatch) {
  const auto image = at::randn({2, 19, 23, 17});
  g_calls = 0;
  expect_identity(image, {{8, 8, 8}, 0.5, 3, 3});
  // Windows per axis: z ceil(11/4)+1 = 4, y ceil(15/4)+1 = 5, x ceil(9/4)+1 = 4.
  EXPECT_EQ(g_calls, (4 * 5 * 4 + 2) / 3);
}

TEST(SlidingWindow, Identity3dOnVolumeSmallerThanThePatch) {
  expect_identity(at::randn({1, 5, 30, 3}), {{8, 8, 8}, 0.25, 2, 3});
}

TEST(SlidingWindow, Identity2dSliceBySlice) {
  SlidingWindowOptions o{{8, 6, 1}, 0.5, 5, 2};
  int64_t seen_dims = 0;
  const auto image = at::randn({1, 4, 13, 5});
  const auto out = sliding_window(image, 1, o, [&](const at::Tensor& b) {
    seen_dims = b.dim();
    return b;
  });
  EXPECT_EQ(seen_dims, 4);
  EXPECT_LT((out - image).abs().max().item<double>(), 1e-5);
}

TEST(SlidingWindow, OutputChannelsMayDifferAndBlendingAveragesConstants) {
  // fn returns a constant map per window: the blend of constants is that constant.
  const auto image = at::zeros({1, 10, 10, 10});
  const auto out = sliding_window(image, 3, {{4, 4, 4}, 0.5, 4, 3}, [](const at::Tensor& b) {
    return at::ones({b.size(0), 3, 4, 4, 4}) * at::tensor({1.0f, 2.0f, 3.0f}).view({1, 3, 1, 1, 1});
  });
  ASSERT_EQ(out.sizes(), (at::IntArrayRef{3, 10, 10, 10}));
  for (int k = 0; k < 3; ++k) {
    EXPECT_NEAR(out[k].min().item<double>(), k + 1.0, 1e-5);
    EXPECT_NEAR(out[k].max().item<double>(), k + 1.0, 1e-5);
  }
}

TEST(SlidingWindow, WrongOutputShapeIsAnError) {
  EXPECT_THROW(sliding_window(at::zeros({1, 8, 8, 8}), 2, {{4, 4, 4}, 0.5, 2, 3},
                              [](const at::Tensor& b) { return b; }),
               unetx::Error);
}

TEST(SlidingWindow, GradientsFlowWhenTheCallerAllowsThem) {
  auto scale = torch::ones({1}, torch::requires_grad());
  const auto image = at::rand({1, 6, 6, 6});
  const auto out = sliding_window(image, 1, {{4, 4, 4}, 0.5, 2, 3},
                                  [&](const at::Tensor& b) { return b * scale; });
  out.sum().backward();
  ASSERT_TRUE(scale.grad().defined());
  EXPECT_NEAR(scale.grad().item<double>(), image.sum().item<double>(), 1e-3);
}

TEST(WindowGrid, EvenlySpacedStartsInZMajorOrderAndSymmetricPadding) {
  // z: 23 rows, patch 7, step <= 3.5: 6 windows at round(i * 16 / 5); y: 3 rows padded to the
  // patch of 5 (1 before, 1 after); x: exactly one patch.
  const WindowGrid g = window_grid({23, 3, 6}, {{6, 5, 7}, 0.5, 2, 3});
  EXPECT_EQ(g.patch, (std::array<int64_t, 3>{7, 5, 6}));
  EXPECT_EQ(g.padded, (std::array<int64_t, 3>{23, 5, 6}));
  EXPECT_EQ(g.pad_lo, (std::array<int64_t, 3>{0, 1, 0}));
  std::vector<int64_t> z;
  for (const auto& s : g.starts) {
    z.push_back(s[0]);
    EXPECT_EQ(s[1], 0);
    EXPECT_EQ(s[2], 0);
  }
  EXPECT_EQ(z, (std::vector<int64_t>{0, 3, 6, 10, 13, 16}));
  // 2-D: one window per slice, whatever the overlap.
  EXPECT_EQ(window_grid({4, 8, 8}, {{8, 8, 1}, 0.5, 2, 2}).starts.size(), 4u);
}
