// Data-parallel equivalence on 2 ranks: 2 ranks with batch b, each drawing its shard of every
// global batch (pipeline::BatchLoader) and averaging gradients in buckets (GradientBuckets),
// end with the weights of 1 rank trained with batch 2b on the same seed. The network normalises
// per sample (instance norm), has no dropout, and the loss is a mean over samples (voxel
// cross-entropy plus per-sample soft Dice), so the two runs compute the same gradient. With
// batch norm the same holds only when its statistics are synchronized over the ranks.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "distributed/gradient_buckets.h"
#include "models/sync_batch_norm.h"
#include "models/unet.h"
#include "pipeline/batch_loader.h"
#include "pipeline/data_parallel.h"
#include "training_mpi_world.h"

namespace unetx::testing {
namespace {

using pipeline::PreparedCase;

std::vector<PreparedCase> make_cases() {
  std::vector<PreparedCase> cases;
  for (int k = 0; k < 3; ++k) {
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(100 + k);
    PreparedCase c;
    c.id = "case" + std::to_string(k);
    c.image = at::randn({1, 6, 20, 20}, gen, at::kFloat);
    c.label = (c.image > 0.5).to(at::kByte);
    cases.push_back(c);
  }
  return cases;
}

// Mean over samples of (voxel cross-entropy + 1 - soft Dice of class 1).
torch::Tensor per_sample_loss(const torch::Tensor& logits, const torch::Tensor& target) {
  const auto ce = torch::nn::functional::cross_entropy(
      logits, target, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
  const auto p = torch::softmax(logits, 1).select(1, 1).flatten(1);
  const auto g = (target == 1).to(torch::kFloat).flatten(1);
  const auto dice = (2 * (p * g).sum(1) + 1e-5) / (p.sum(1) + g.sum(1) + 1e-5);
  return (ce.flatten(1).mean(1) + 1 - dice).mean();
}

// Weights after `steps` SGD steps with `batch` samples per rank, this process being `shard`;
// `norm` is the network's normalisation ("instance" or "batch").
std::vector<at::Tensor> train(const std::vector<PreparedCase>& cases, int batch, int shard,
                              dist::Communicator& comm, int steps,
                              const std::string& norm = "instance") {
  torch::manual_seed(11);  // the same start everywhere (and broadcast from rank 0 anyway)
  models::ModelPtr model =
      models::make_unet(models::UNetOptions(1, 2).dims(2).features({4, 8}).norm(norm));
  pipeline::broadcast_parameters(*model, comm);
  torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.1).momentum(0.9));
  // Small buckets, so the model's parameters spread over several of them.
  dist::GradientBuckets buckets(model->parameters(), comm, 512);
  if (comm.size() > 1) {
    EXPECT_GE(buckets.buckets().size(), 3u);
  }
  std::vector<const PreparedCase*> pointers;
  for (const auto& c : cases) pointers.push_back(&c);
  pipeline::BatchLoaderOptions options;
  options.sampler.patch_xyz = {12, 12, 1};
  options.sampler.spatial_dims = 2;
  options.batch_size = batch;
  options.workers = 0;
  pipeline::BatchLoader loader(pointers, options, 5, 0, shard, 0, steps);
  model->train();
  for (int step = 0; step < steps; ++step) {
    auto [x, y] = loader.next();
    optimizer.zero_grad();
    per_sample_loss(model->forward(x), y).backward();
    buckets.finish();
    optimizer.step();
  }
  std::vector<at::Tensor> weights;
  for (const auto& p : model->parameters()) weights.push_back(p.detach().clone());
  return weights;
}

double max_difference(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b) {
  double most = 0.0;
  for (size_t k = 0; k < a.size(); ++k)
    most = std::max(most, (a[k] - b[k]).abs().max().item<double>());
  return most;
}

TEST(DataParallelMpi, TwoRanksWithBatchBEqualOneRankWithBatchTwoB) {
  ASSERT_EQ(world->size(), 2);
  const auto cases = make_cases();
  const int steps = 5, b = 2;
  const auto parallel = train(cases, b, world->rank(), *world, steps);
  dist::SingleProcess alone;
  const auto single = train(cases, 2 * b, 0, alone, steps);
  const auto start = train(cases, 2 * b, 0, alone, 0);
  // The runs moved the weights well beyond the tolerance...
  EXPECT_GT(max_difference(single, start), 1e-2);
  // ...and agree within float rounding (sums over ranks and over the batch differ in order).
  EXPECT_LT(max_difference(parallel, single), 1e-4);
  // Half the data alone (shard 0 only) is a different run: the check above can fail.
  const auto half = train(cases, b, 0, alone, steps);
  EXPECT_GT(max_difference(half, single), 1e-3);

  // Both ranks hold exactly the same weights: their difference, summed over ranks, is zero.
  for (const auto& w : parallel) {
    at::Tensor signed_copy = world->rank() == 0 ? w.clone() : -w;
    world->allreduce_sum(signed_copy);
    EXPECT_EQ(signed_copy.abs().max().item<float>(), 0.0f);
  }
}

// Batch norm couples the samples of a batch, so per-rank statistics break the equivalence;
// synchronized batch norm (statistics and their gradients summed over ranks) restores it.
TEST(DataParallelMpi, SynchronizedBatchNormMakesTwoRanksEqualOneRankWithBatchTwoB) {
  ASSERT_EQ(world->size(), 2);
  const auto cases = make_cases();
  const int steps = 4, b = 2;
  dist::SingleProcess alone;
  const auto single = train(cases, 2 * b, 0, alone, steps, "batch");
  const auto local = train(cases, b, world->rank(), *world, steps, "batch");
  EXPECT_GT(max_difference(local, single), 1e-3);  // per-rank statistics: a different run
  pipeline::CommunicatorBatchStatistics statistics(*world);
  models::ScopedBatchNormSync sync(statistics);
  const auto synced = train(cases, b, world->rank(), *world, steps, "batch");
  EXPECT_LT(max_difference(synced, single), 1e-4);
}

}  // namespace
}  // namespace unetx::testing
