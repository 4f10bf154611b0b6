#include "models/recalibration.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "models/fca.h"
#include "models/monofractal.h"
#include "models/unet.h"

namespace unetx::models {
namespace {

TEST(Recalibration, ExcitationsLieStrictlyBetweenZeroAndOne) {
  for (int dims : {2, 3}) {
    for (const auto& kind : recalibration_kinds()) {
      if (kind == "none") continue;
      torch::manual_seed(5);
      auto block = make_recalibration(kind, 8, dims, 2);
      block->eval();
      std::vector<int64_t> shape = {2, 8, 12, 10};
      if (dims == 3) shape.push_back(6);
      const auto x = torch::randn(shape);
      std::vector<Excitation> gates;
      const auto y = block->forward(x, &gates);
      EXPECT_EQ(y.sizes(), x.sizes()) << kind;
      ASSERT_EQ(gates.size(), block->excitation_suffixes().size()) << kind;
      for (const auto& g : gates) {
        EXPECT_GT(g.gate.min().item<double>(), 0.0) << kind << g.suffix;
        EXPECT_LT(g.gate.max().item<double>(), 1.0) << kind << g.suffix;
        EXPECT_EQ(g.gate.size(0), 2) << kind;
        EXPECT_EQ(g.gate.dim(), x.dim()) << kind;
      }
    }
  }
}

TEST(Recalibration, UNetPublishesGatesAsTaps) {
  auto model = make_unet(UNetOptions(1, 2).dims(2).features({4, 8, 16}).se("scse"));
  model->record_taps(true);
  model->forward(torch::randn({1, 1, 16, 16}));
  for (const char* name : {"se.0.channel", "se.0.spatial", "se.1.channel", "se.1.spatial"}) {
    ASSERT_TRUE(model->taps().count(name)) << name;
  }
  EXPECT_EQ(model->taps().at("se.1.channel").sizes().vec(), (std::vector<int64_t>{1, 8, 1, 1}));
  EXPECT_EQ(model->taps().at("se.0.spatial").sizes().vec(), (std::vector<int64_t>{1, 1, 16, 16}));
}

TEST(Recalibration, UnknownKindIsRefused) {
  EXPECT_THROW(make_recalibration("eca", 8, 2, 2), std::invalid_argument);
  EXPECT_THROW(make_unet(UNetOptions(1, 2).se("eca")), std::invalid_argument);
  EXPECT_THROW(make_unet(UNetOptions(1, 2).se_reduction(0)), std::invalid_argument);
  EXPECT_EQ(make_recalibration("none", 8, 2, 2), nullptr);
}

TEST(Recalibration, BatchNormBlocksRefuseTrainingWithBatchOne) {
  for (const char* kind : {"srm", "monofractal"}) {
    auto block = make_recalibration(kind, 4, 2, 2);
    block->train();
    EXPECT_THROW(block->forward(torch::randn({1, 4, 8, 8}), nullptr), std::invalid_argument);
    block->eval();
    EXPECT_NO_THROW(block->forward(torch::randn({1, 4, 8, 8}), nullptr));
  }
}

// The DCT basis at frequency (0,0) is constant 1, so FCA's pooling of that channel is the global
// average up to scale; FCA normalizes the basis by S^D, so the scale is 1 (for sizes divisible
// by S, where the adaptive pooling is exact).
TEST(Fca, LowestFrequencyIsGlobalAveragePoolingUpToScale) {
  EXPECT_TRUE(torch::equal(dct_basis({0, 0}, 7), torch::ones({7, 7})));
  EXPECT_TRUE(torch::equal(dct_basis({0, 0, 0}, 7), torch::ones({7, 7, 7})));
  for (int dims : {2, 3}) {
    FcaImpl fca(1, dims, 1);  // one channel: frequency 0 = (0,0[,0])
    std::vector<int64_t> shape = {3, 1, 14, 21};
    if (dims == 3) shape.push_back(7);
    const auto x = torch::rand(shape);
    const double scale = 1.0;
    const auto gap = x.flatten(2).mean(2);
    EXPECT_TRUE(torch::allclose(fca.spectral_pool(x), scale * gap, 1e-4, 1e-4)) << dims;
  }
}

TEST(Fca, SixteenDistinctFrequenciesStartingAtZero) {
  for (int dims : {2, 3}) {
    const auto f = fca_frequencies(dims);
    ASSERT_EQ(f.size(), 16u);
    EXPECT_EQ(f[0], std::vector<int64_t>(dims, 0));
    std::set<std::vector<int64_t>> unique(f.begin(), f.end());
    EXPECT_EQ(unique.size(), 16u);
  }
  // Higher frequencies are orthogonal to the constant: they ignore the mean.
  const auto b = dct_basis({0, 1}, 7);
  EXPECT_NEAR(b.sum().item<double>(), 0.0, 1e-5);
}

// 1-D masses g(0) = 1, g(k) = ((2k+1)^a - (2k-1)^a) / 2 make the box of radius r around 0 hold
// exactly (2r+1)^a; the separable product in D dimensions holds (2r+1)^(D a): a power-law
// measure with singularity exponent D a at the centre.
torch::Tensor power_law_1d(double a, int64_t half) {
  auto g = torch::empty({2 * half + 1}, torch::kDouble);
  for (int64_t k = -half; k <= half; ++k) {
    const double m = std::abs(static_cast<double>(k));
    g[k + half] = m == 0 ? 1.0 : (std::pow(2 * m + 1, a) - std::pow(2 * m - 1, a)) / 2;
  }
  return g;
}

TEST(Monofractal, SingularityExponentOfAPowerLawMeasure) {
  for (double a : {0.3, 0.7, 1.0}) {
    const int64_t half = 10;
    const auto g = power_law_1d(a, half);
    const auto m2 = torch::outer(g, g).view({1, 1, 2 * half + 1, 2 * half + 1});
    const auto alpha2 = singularity_exponent(m2.to(torch::kFloat));
    EXPECT_NEAR(alpha2[0][0][half][half].item<double>(), 2 * a, 1e-3) << a;
    const auto m3 = (g.view({-1, 1, 1}) * g.view({1, -1, 1}) * g.view({1, 1, -1}))
                        .view({1, 1, 2 * half + 1, 2 * half + 1, 2 * half + 1});
    const auto alpha3 = singularity_exponent(m3.to(torch::kFloat));
    EXPECT_NEAR(alpha3[0][0][half][half][half].item<double>(), 3 * a, 1e-3) << a;
  }
}

TEST(Monofractal, UniformMeasureHasTheDimensionAsExponent) {
  const auto alpha = singularity_exponent(torch::ones({1, 2, 40, 40}));
  // Away from the border (radius 8), every box is full.
  EXPECT_NEAR(alpha.slice(2, 8, 32).slice(3, 8, 32).min().item<double>(), 2.0, 1e-4);
  EXPECT_NEAR(alpha.slice(2, 8, 32).slice(3, 8, 32).max().item<double>(), 2.0, 1e-4);
}

TEST(Monofractal, BoxSumMatchesDirectSum) {
  const auto x = torch::rand({1, 1, 9, 7});
  const auto s = box_sum(x, 2);
  double direct = 0;
  for (int y = 2; y <= 6; ++y)
    for (int z = 1; z <= 5; ++z) direct += x[0][0][y][z].item<double>();
  EXPECT_NEAR(s[0][0][4][3].item<double>(), direct, 1e-5);
  // At a corner only the part of the box inside the image counts.
  EXPECT_NEAR(s[0][0][0][0].item<double>(), x.slice(2, 0, 3).slice(3, 0, 3).sum().item<double>(),
              1e-5);
}

}  // namespace
}  // namespace unetx::models
