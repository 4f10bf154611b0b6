// Gradient buckets on 2 ranks: after finish() every gradient is the mean of the two ranks'
// gradients, computed here by hand, across several buckets and several steps, including a
// parameter only one rank produced a gradient for and one that no rank did.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "distributed/gradient_buckets.h"
#include "training_mpi_world.h"

namespace unetx::testing {
namespace {

// Parameter k has k + 3 elements.
std::vector<at::Tensor> make_parameters(int count) {
  std::vector<at::Tensor> ps;
  for (int k = 0; k < count; ++k) ps.push_back(at::zeros({k + 3}).set_requires_grad(true));
  return ps;
}

// The gradient rank r gets for parameter k in step s: (r + 1) * [0, 1, 2, ...] + k + 10 s.
at::Tensor gradient(int rank, int k, int step) {
  return at::arange(k + 3, at::kFloat) * (rank + 1) + (k + 10 * step);
}

TEST(GradientBucketsMpi, GradientsBecomeTheMeanOverRanks) {
  ASSERT_EQ(world->size(), 2);
  const int rank = world->rank();
  auto ps = make_parameters(6);
  // 24 bytes per bucket: parameters of 3..8 floats (12..32 bytes) give 5 buckets.
  dist::GradientBuckets buckets(ps, *world, 24);
  ASSERT_GE(buckets.buckets().size(), 4u);
  for (int step = 0; step < 3; ++step) {
    for (auto& p : ps) p.mutable_grad() = at::Tensor();
    // loss = sum_k <g_k, p_k>, so d loss / d p_k = g_k. Parameter 2 has no gradient on rank 1,
    // parameter 4 none on either rank.
    at::Tensor loss = at::zeros({});
    for (int k = 0; k < 6; ++k) {
      if (k == 4 || (k == 2 && rank == 1)) continue;
      loss = loss + (ps[k] * gradient(rank, k, step)).sum();
    }
    loss.backward();
    buckets.finish();
    for (int k = 0; k < 6; ++k) {
      // By hand: the mean of (r + 1) * i + c over r = 0, 1 is 1.5 * i + c.
      at::Tensor expected = at::arange(k + 3, at::kFloat) * 1.5 + (k + 10 * step);
      if (k == 2) expected = gradient(0, 2, step) / 2;  // rank 1 contributed zeros
      if (k == 4) expected = at::zeros({k + 3});
      ASSERT_TRUE(ps[k].grad().defined()) << "parameter " << k;
      EXPECT_TRUE(at::allclose(ps[k].grad(), expected)) << "step " << step << " parameter " << k
                                                       << ": " << ps[k].grad();
    }
  }
}

TEST(GradientBucketsMpi, CompleteBucketsStartDuringBackward) {
  auto ps = make_parameters(5);
  dist::GradientBuckets buckets(ps, *world, 20);
  at::Tensor loss = at::zeros({});
  for (int k = 0; k < 5; ++k) loss = loss + (ps[k] * gradient(world->rank(), k, 0)).sum();
  loss.backward();
  buckets.finish();
  // Every gradient arrived inside backward, so every bucket's sum started there.
  EXPECT_EQ(buckets.started_in_backward(), static_cast<int>(buckets.buckets().size()));
  EXPECT_TRUE(at::allclose(ps[1].grad(), at::arange(4, at::kFloat) * 1.5 + 1));
}

TEST(GradientBucketsMpi, AnEmptyBucketWaitsForFinishAndKeepsTheOrder) {
  // The first bucket (last parameter) never gets a gradient on rank 0: nothing may start during
  // backward there, while rank 1 starts all of its buckets; the sums still pair up in order.
  auto ps = make_parameters(4);
  dist::GradientBuckets buckets(ps, *world, 16);
  at::Tensor loss = at::zeros({});
  for (int k = 0; k < 4; ++k) {
    if (k == 3 && world->rank() == 0) continue;
    loss = loss + (ps[k] * gradient(world->rank(), k, 0)).sum();
  }
  loss.backward();
  buckets.finish();
  EXPECT_EQ(buckets.started_in_backward(), world->rank() == 0 ? 0 : 4);
  EXPECT_TRUE(at::allclose(ps[3].grad(), gradient(1, 3, 0) / 2));
  EXPECT_TRUE(at::allclose(ps[0].grad(), at::arange(3, at::kFloat) * 1.5));
}

}  // namespace
}  // namespace unetx::testing
