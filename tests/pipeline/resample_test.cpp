#include "pipeline/resample.h"

#include <gtest/gtest.h>

#include "io/error.h"
#include "pipeline/normalize.h"

using namespace unetx::pipeline;

namespace {

// f = a x + b y + c z in mm on a grid with `spacing` (origin 0): (1, Z, Y, X) float64.
at::Tensor ramp(const std::array<int64_t, 3>& n, const std::array<double, 3>& spacing, double a,
                double b, double c) {
  auto x = at::arange(n[0], at::kDouble).view({1, 1, -1}) * spacing[0];
  auto y = at::arange(n[1], at::kDouble).view({1, -1, 1}) * spacing[1];
  auto z = at::arange(n[2], at::kDouble).view({-1, 1, 1}) * spacing[2];
  return (a * x + b * y + c * z).unsqueeze(0).to(at::kFloat).contiguous();
}

}  // namespace

TEST(Resample, SizeIsRoundedExtentAtLeastOne) {
  EXPECT_EQ(resampled_size({100, 50, 10}, {1, 1, 1}, {2, 1.5, 0.5}),
            (std::array<int64_t, 3>{50, 33, 20}));
  EXPECT_EQ(resampled_size({3, 3, 3}, {1, 1, 1}, {10, 10, 10}), (std::array<int64_t, 3>{1, 1, 1}));
  EXPECT_EQ(resampled_size({7, 7, 7}, {0.5, 0.5, 0.5}, {1, 1, 1}),
            (std::array<int64_t, 3>{4, 4, 4}));  // 3.5 rounds up
  EXPECT_THROW(resampled_size({7, 7, 7}, {0, 1, 1}, {1, 1, 1}), unetx::Error);
}

TEST(Resample, LinearRampIsReproducedExactlyAndSurvivesTheRoundTrip) {
  const double a = 0.7, b = -1.3, c = 2.1;
  const std::array<int64_t, 3> n{20, 18, 16};
  const std::array<double, 3> from{1, 1, 1}, to{2, 1.5, 0.5};
  const auto f = ramp(n, from, a, b, c);
  const auto size = resampled_size(n, from, to);
  const auto g = resample(f, from, to, size, Interp::Linear);
  ASSERT_EQ(g.sizes(), (at::IntArrayRef{1, size[2], size[1], size[0]}));
  EXPECT_EQ(g.scalar_type(), at::kFloat);
  // Interior: every output voxel whose physical position lies inside the input extent.
  const auto expected = ramp(size, to, a, b, c);
  auto inner = [](const at::Tensor& t, const std::array<int64_t, 3>& lim) {
    return t.slice(1, 0, lim[2]).slice(2, 0, lim[1]).slice(3, 0, lim[0]);
  };
  const std::array<int64_t, 3> lim{(n[0] - 1) * 1 / 2 + 1,
                                   static_cast<int64_t>((n[1] - 1) / 1.5) + 1, (n[2] - 1) * 2 + 1};
  EXPECT_LT((inner(g, lim) - inner(expected, lim)).abs().max().item<double>(), 1e-4);

  const auto back = resample(g, to, from, n, Interp::Linear);
  ASSERT_EQ(back.sizes(), f.sizes());
  // Back on the 1 mm grid, away from the far border of the 2 mm / 1.5 mm grids.
  const std::array<int64_t, 3> lim_back{(size[0] - 1) * 2 + 1,
                                        static_cast<int64_t>((size[1] - 1) * 1.5) + 1, n[2]};
  EXPECT_LT((inner(back, lim_back) - inner(f, lim_back)).abs().max().item<double>(), 1e-4);
}

TEST(Resample, LinearClampsAtTheBorder) {
  const auto f = at::arange(4, at::kFloat).view({1, 1, 1, 4});
  const auto g = resample(f, {1, 1, 1}, {0.5, 1, 1}, {9, 1, 1}, Interp::Linear);
  // Positions 0, 0.5, ..., 3, 3.5, 4 -> the last two clamp to 3.
  const auto expected = at::tensor({0.0f, 0.5f, 1.0f, 1.5f, 2.0f, 2.5f, 3.0f, 3.0f, 3.0f});
  EXPECT_TRUE(at::allclose(g.flatten(), expected));
}

TEST(Resample, NearestKeepsLabelValuesAndDtype) {
  auto label = at::zeros({1, 10, 12, 14}, at::kByte);
  label.slice(1, 2, 6).slice(2, 3, 9).slice(3, 4, 10).fill_(3);
  label.slice(1, 6, 9).slice(2, 0, 4).fill_(7);
  const std::array<double, 3> from{1, 1, 1}, to{1.7, 0.6, 1.3};
  const auto out =
      resample(label, from, to, resampled_size({14, 12, 10}, from, to), Interp::Nearest);
  EXPECT_EQ(out.scalar_type(), at::kByte);
  const auto values = std::get<0>(at::_unique(out));
  EXPECT_TRUE(at::equal(std::get<0>(values.sort()), at::tensor({0, 3, 7}, at::kByte)));
  // Nearest to index 0 is index 0 on every axis.
  EXPECT_EQ(out[0][0][0][0].item<int>(), label[0][0][0][0].item<int>());
}

TEST(Resample, SameGridReturnsAnEqualCopy) {
  const auto f = at::rand({2, 3, 4, 5});
  const auto g = resample(f, {1, 2, 3}, {1, 2, 3}, {5, 4, 3}, Interp::Linear);
  EXPECT_TRUE(at::equal(f, g));
  g.fill_(0);
  EXPECT_FALSE(at::equal(f, g));
}

TEST(Resample, GeometryKeepsOriginAndDirection) {
  unetx::io::Geometry g;
  g.origin = {1, 2, 3};
  g.direction = {0, 1, 0, -1, 0, 0, 0, 0, 1};
  const auto r = resampled_geometry(g, {2, 2, 4});
  EXPECT_EQ(r.origin, g.origin);
  EXPECT_EQ(r.direction, g.direction);
  EXPECT_EQ(r.spacing, (std::array<double, 3>{2, 2, 4}));
}

TEST(Normalize, ZscoreGivesMeanZeroStdOnePerChannel) {
  auto x = at::randn({2, 8, 9, 10}, at::kDouble);
  x[0].mul_(5).add_(100);
  x[1].mul_(0.01).add_(-3);
  const auto z = zscore(x);
  EXPECT_EQ(z.scalar_type(), at::kFloat);
  for (int c = 0; c < 2; ++c) {
    EXPECT_NEAR(z[c].mean().item<double>(), 0.0, 1e-5);
    EXPECT_NEAR(z[c].std(false).item<double>(), 1.0, 1e-5);
  }
}

TEST(Normalize, ConstantChannelBecomesZeroNotNan) {
  const auto z = zscore(at::full({1, 3, 3, 3}, 42.0));
  EXPECT_EQ(z.abs().max().item<float>(), 0.0f);
}

TEST(Normalize, IntegerInputIsNormalizedToFloat) {
  const auto x = at::arange(0, 10, at::kShort).view({1, 1, 1, 10});
  const auto z = zscore(x);
  EXPECT_EQ(z.scalar_type(), at::kFloat);
  // mean 4.5, population std sqrt(8.25)
  EXPECT_NEAR(z[0][0][0][0].item<double>(), -4.5 / std::sqrt(8.25), 1e-6);
}
