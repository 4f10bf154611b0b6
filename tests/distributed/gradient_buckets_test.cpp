// Gradient buckets: which parameters share a bucket (hand-computed for known sizes), and that
// with one rank the buckets leave every gradient exactly as backward made it.
#include "distributed/gradient_buckets.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace unetx::dist {
namespace {

at::Tensor param(int64_t numel, at::ScalarType dtype = at::kFloat, bool trainable = true) {
  return at::zeros({numel}, at::TensorOptions().dtype(dtype)).set_requires_grad(trainable);
}

using Layout = std::vector<std::vector<size_t>>;

TEST(GradientBuckets, FillsBucketsInReverseRegistrationOrder) {
  // 10, 20, 30, 40 floats = 40, 80, 120, 160 bytes; buckets of at most 280 bytes.
  // From the last: 160 + 120 = 280 fits; + 80 would not, so 80 + 40 start the second bucket.
  const std::vector<at::Tensor> ps{param(10), param(20), param(30), param(40)};
  EXPECT_EQ(assign_buckets(ps, 280), (Layout{{3, 2}, {1, 0}}));
  // One byte less: 160 + 120 > 279, so 120 starts the second bucket, where 80 and 40 join it
  // (120 + 80 + 40 = 240 <= 279).
  EXPECT_EQ(assign_buckets(ps, 279), (Layout{{3}, {2, 1, 0}}));
  // Everything fits in 25 MB.
  EXPECT_EQ(assign_buckets(ps, 25 << 20), (Layout{{3, 2, 1, 0}}));
}

TEST(GradientBuckets, OversizedParameterGetsItsOwnBucket) {
  // 100 floats = 400 bytes > 100-byte buckets; the small ones around it still share.
  const std::vector<at::Tensor> ps{param(5), param(5), param(100), param(5), param(5)};
  EXPECT_EQ(assign_buckets(ps, 100), (Layout{{4, 3}, {2}, {1, 0}}));
}

TEST(GradientBuckets, SkipsFrozenParametersAndSplitsOnDtype) {
  const std::vector<at::Tensor> ps{param(4, at::kDouble), param(4), param(8, at::kFloat, false),
                                   param(4)};
  // Parameter 2 is frozen; 1 and 3 are float (16 bytes each), 0 is double: a bucket of its own.
  EXPECT_EQ(assign_buckets(ps, 1000), (Layout{{3, 1}, {0}}));
  EXPECT_THROW(assign_buckets(ps, 0), std::invalid_argument);
}

TEST(GradientBuckets, OneRankLeavesGradientsUntouched) {
  torch::manual_seed(1);
  torch::nn::Linear a(3, 4), b(4, 2), unused(2, 2);
  std::vector<at::Tensor> ps = a->parameters();
  for (const auto& p : b->parameters()) ps.push_back(p);
  for (const auto& p : unused->parameters()) ps.push_back(p);
  SingleProcess comm;
  GradientBuckets buckets(ps, comm, 16);
  EXPECT_EQ(buckets.buckets().size(), 6u);  // every parameter is more than 16 bytes
  const at::Tensor x = torch::randn({5, 3});
  b(torch::relu(a(x))).pow(2).sum().backward();
  std::vector<at::Tensor> before;
  for (const auto& p : ps) before.push_back(p.grad().defined() ? p.grad().clone() : at::Tensor());
  std::vector<const void*> where;
  for (const auto& p : ps) where.push_back(p.grad().defined() ? p.grad().data_ptr() : nullptr);
  buckets.finish();
  for (size_t k = 0; k < ps.size(); ++k) {
    ASSERT_EQ(ps[k].grad().defined(), before[k].defined()) << k;
    if (!before[k].defined()) continue;  // the unused layer: no gradient invented
    EXPECT_TRUE(at::equal(ps[k].grad(), before[k])) << k;
    EXPECT_EQ(ps[k].grad().data_ptr(), where[k]) << k;  // not even copied
  }
  EXPECT_FALSE(ps[4].grad().defined());
  EXPECT_EQ(buckets.started_in_backward(), 0);
}

}  // namespace
}  // namespace unetx::dist
