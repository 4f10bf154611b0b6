#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "io/error.h"
#include "xai/uncertainty.h"

namespace unetx::xai {
namespace {

// Returns the given samples in order, counting the calls.
struct FakeSampler {
  std::vector<at::Tensor> samples;
  int calls = 0;
  at::Tensor operator()() { return samples.at(static_cast<size_t>(calls++)); }
};

TEST(Entropy, UniformOverFourClassesIsLnFour) {
  const at::Tensor h = entropy(at::full({4, 2, 3}, 0.25));
  ASSERT_EQ(h.sizes(), at::IntArrayRef({1, 2, 3}));
  EXPECT_TRUE(at::allclose(h, at::full({1, 2, 3}, std::log(4.0f))));
}

TEST(Entropy, OneHotIsZeroWithoutNaN) {
  const at::Tensor p = torch::tensor({1.0f, 0.0f, 0.0f, 1.0f}).view({2, 2});
  const at::Tensor h = entropy(p);
  EXPECT_FALSE(h.isnan().any().item<bool>());
  EXPECT_EQ(h.abs().max().item<float>(), 0.0f);
}

TEST(McDropout, DisagreeingConfidentSamplesAreAllEpistemic) {
  // [1,0] and [0,1]: mean [.5,.5], entropy ln 2, mean sample entropy 0, MI ln 2.
  FakeSampler fake{{torch::tensor({1.0f, 0.0f}).view({2, 1, 1, 1}),
                    torch::tensor({0.0f, 1.0f}).view({2, 1, 1, 1})}};
  const McDropoutResult r = mc_dropout(std::ref(fake), 2);
  EXPECT_EQ(fake.calls, 2);
  EXPECT_TRUE(at::allclose(r.mean_probs, at::full({2, 1, 1, 1}, 0.5f)));
  ASSERT_EQ(r.entropy.sizes(), at::IntArrayRef({1, 1, 1, 1}));
  EXPECT_NEAR(r.entropy.item<float>(), std::log(2.0), 1e-6);
  EXPECT_NEAR(r.mutual_information.item<float>(), std::log(2.0), 1e-6);
  EXPECT_NEAR(r.mean_entropy, std::log(2.0), 1e-6);
}

TEST(McDropout, MatchesHandComputedBald) {
  // Voxel 0: samples [.8,.2] and [.4,.6]; voxel 1: [.5,.5] twice (no disagreement).
  FakeSampler fake{{torch::tensor({0.8f, 0.5f, 0.2f, 0.5f}).view({2, 2}),
                    torch::tensor({0.4f, 0.5f, 0.6f, 0.5f}).view({2, 2})}};
  const McDropoutResult r = mc_dropout(std::ref(fake), 2);
  auto h2 = [](double p) { return -(p * std::log(p) + (1 - p) * std::log(1 - p)); };
  const double h_mean0 = h2(0.6);
  const double mi0 = h_mean0 - (h2(0.8) + h2(0.4)) / 2;
  EXPECT_TRUE(at::allclose(r.mean_probs, torch::tensor({0.6f, 0.5f, 0.4f, 0.5f}).view({2, 2})));
  EXPECT_NEAR(r.entropy[0][0].item<float>(), h_mean0, 1e-6);
  EXPECT_NEAR(r.entropy[0][1].item<float>(), std::log(2.0), 1e-6);
  EXPECT_NEAR(r.mutual_information[0][0].item<float>(), mi0, 1e-6);
  EXPECT_NEAR(r.mutual_information[0][1].item<float>(), 0.0, 1e-6);
  EXPECT_NEAR(r.mean_entropy, (h_mean0 + std::log(2.0)) / 2, 1e-6);
}

TEST(McDropout, CallsTheSamplerExactlySamplesTimesAndRejectsZero) {
  int calls = 0;
  auto sampler = [&] {
    ++calls;
    return at::full({3, 2}, 1.0f / 3);
  };
  const McDropoutResult r = mc_dropout(sampler, 7);
  EXPECT_EQ(calls, 7);
  EXPECT_NEAR(r.mutual_information.abs().max().item<float>(), 0.0, 1e-6);
  EXPECT_THROW(mc_dropout(sampler, 0), Error);
}

TEST(McDropout, RejectsSamplesOfDifferentShapes) {
  FakeSampler fake{{at::full({2, 3}, 0.5f), at::full({2, 4}, 0.5f)}};
  EXPECT_THROW(mc_dropout(std::ref(fake), 2), Error);
}

TEST(MeanOver, AveragesInsideTheMaskOrEverywhere) {
  const at::Tensor map = torch::tensor({1.0f, 2.0f, 3.0f, 4.0f}).view({1, 2, 2});
  EXPECT_DOUBLE_EQ(mean_over(map), 2.5);
  EXPECT_DOUBLE_EQ(mean_over(map, torch::tensor({1, 0, 1, 0}).view({2, 2})), 2.0);
  EXPECT_TRUE(std::isnan(mean_over(map, at::zeros({2, 2}, at::kBool))));
  EXPECT_THROW(mean_over(map, at::ones({3})), Error);
}

}  // namespace
}  // namespace unetx::xai
