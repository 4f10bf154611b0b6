// Synchronized batch norm against LibTorch's own batch norm. A reducer that doubles every sum
// stands for a second rank holding the same samples, so one process normalising x with it must
// match torch::batch_norm over the batch cat(x, x): outputs, running statistics, the input
// gradient, and half the weight/bias gradients (each rank keeps its share).
#include "models/sync_batch_norm.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>
#include <vector>

#include "models/layers.h"

namespace unetx::models {
namespace {

class MirrorRank : public BatchStatisticsReducer {
 public:
  void sum(at::Tensor& t) override {
    t.mul_(2);
    ++calls;
  }
  int ranks() const override { return 2; }
  int calls = 0;
};

TEST(SyncBatchNorm, EqualsBatchNormOverBothRanksSamples) {
  torch::manual_seed(2);
  const torch::Tensor x0 = torch::randn({2, 3, 4, 5, 6}) * 2 + 1;
  const torch::Tensor w0 = torch::rand({3}) + 0.5, b0 = torch::randn({3});
  const torch::Tensor r = torch::randn({2, 3, 4, 5, 6});

  const torch::Tensor x = x0.clone().requires_grad_(), w = w0.clone().requires_grad_();
  const torch::Tensor b = b0.clone().requires_grad_();
  torch::Tensor mean = torch::zeros({3}), var = torch::ones({3});
  MirrorRank mirror;
  const torch::Tensor y = sync_batch_norm(x, w, b, mean, var, 0.1, 1e-5, mirror);
  (y * r).sum().backward();

  const torch::Tensor xx = torch::cat({x0, x0}).requires_grad_();
  const torch::Tensor ww = w0.clone().requires_grad_(), bb = b0.clone().requires_grad_();
  torch::Tensor ref_mean = torch::zeros({3}), ref_var = torch::ones({3});
  const torch::Tensor ref = torch::batch_norm(xx, ww, bb, ref_mean, ref_var, true, 0.1, 1e-5, false);
  (ref * torch::cat({r, r})).sum().backward();

  EXPECT_TRUE(torch::allclose(y, ref.narrow(0, 0, 2), 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(mean, ref_mean, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(var, ref_var, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(x.grad(), xx.grad().narrow(0, 0, 2), 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(w.grad() * 2, ww.grad(), 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(b.grad() * 2, bb.grad(), 1e-4, 1e-5));
}

TEST(SyncBatchNorm, TheLayerIsTorchBatchNormWithoutAReducer) {
  torch::manual_seed(4);
  Layers<2>::BatchNorm ours(torch::nn::BatchNorm2dOptions(3));
  torch::nn::BatchNorm2d theirs(torch::nn::BatchNorm2dOptions(3));
  std::vector<std::string> our_names, their_names;
  for (const auto& p : ours->named_parameters()) our_names.push_back(p.key());
  for (const auto& p : ours->named_buffers()) our_names.push_back(p.key());
  for (const auto& p : theirs->named_parameters()) their_names.push_back(p.key());
  for (const auto& p : theirs->named_buffers()) their_names.push_back(p.key());
  EXPECT_EQ(our_names, their_names);  // checkpoints are interchangeable
  for (int step = 0; step < 2; ++step) {
    const torch::Tensor x = torch::randn({2, 3, 5, 5}) * 3 + 1;
    EXPECT_TRUE(torch::allclose(ours(x), theirs(x), 1e-5, 1e-6));
  }
  EXPECT_TRUE(torch::allclose(ours->running_mean, theirs->running_mean, 1e-6, 1e-7));
  EXPECT_TRUE(torch::allclose(ours->running_var, theirs->running_var, 1e-6, 1e-7));
  EXPECT_EQ(ours->num_batches_tracked.item<int64_t>(), 2);
  ours->eval();
  theirs->eval();
  const torch::Tensor x = torch::randn({1, 3, 4, 4});
  EXPECT_TRUE(torch::allclose(ours(x), theirs(x), 1e-5, 1e-6));
}

TEST(SyncBatchNorm, TheLayerSynchronisesOnlyInTrainingWithAReducerInstalled) {
  torch::manual_seed(4);
  Layers<2>::BatchNorm bn(torch::nn::BatchNorm2dOptions(3));
  const torch::Tensor x = torch::randn({2, 3, 5, 5}) + 3;
  const torch::Tensor plain = bn(x);
  MirrorRank mirror;
  ScopedBatchNormSync sync(mirror);
  // The statistics of cat(x, x) are those of x, so the values agree; the reducer is used.
  const int before = mirror.calls;
  const torch::Tensor synced = bn(x);
  EXPECT_TRUE(torch::allclose(synced, plain, 1e-4, 1e-5));
  EXPECT_EQ(mirror.calls, before + 1);
  bn->eval();
  bn(x);  // running statistics, no reduction
  EXPECT_EQ(mirror.calls, before + 1);
}

}  // namespace
}  // namespace unetx::models
