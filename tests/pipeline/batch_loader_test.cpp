// The prefetching loader hands out exactly the batches a single-threaded draw would, in order,
// wherever it starts: what makes multi-threaded loading and mid-epoch resume exact. And every
// sample of a global batch depends only on its index, so shards of a batch (ranks) split it.
#include "pipeline/batch_loader.h"

#include <gtest/gtest.h>

#include "io/error.h"

namespace unetx::pipeline {
namespace {

PreparedCase noisy_case(const std::string& id, uint64_t seed) {
  PreparedCase c;
  c.id = id;
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  c.image = at::randn({1, 24, 20, 18}, gen, at::kFloat);
  c.label = (c.image > 1.0).to(at::kByte);
  return c;
}

BatchLoaderOptions standard_options(int workers) {
  BatchLoaderOptions o;
  o.sampler.patch_xyz = {12, 10, 8};
  o.sampler.augment = AugmentOptions::preset("standard");  // rotations, noise, gamma...
  o.batch_size = 3;
  o.workers = workers;
  o.prefetch = 2;
  return o;
}

TEST(BatchLoader, BatchSeedsDifferAcrossEveryCoordinate) {
  const uint64_t base = batch_seed(5, 2, 3, 0);
  EXPECT_EQ(base, batch_seed(5, 2, 3, 0));
  EXPECT_NE(base, batch_seed(6, 2, 3, 0));
  EXPECT_NE(base, batch_seed(5, 3, 3, 0));
  EXPECT_NE(base, batch_seed(5, 2, 4, 0));
  EXPECT_NE(base, batch_seed(5, 2, 3, 1));
  EXPECT_NE(batch_seed(0, 1, 0, 0), batch_seed(0, 0, 1, 0));  // not symmetric in its inputs
}

TEST(BatchLoader, WorkersGiveTheBatchesOfAnInlineDrawInOrder) {
  const PreparedCase a = noisy_case("a", 1), b = noisy_case("b", 2);
  const std::vector<const PreparedCase*> cases{&a, &b};
  BatchLoader inline_loader(cases, standard_options(0), 42, 3, 0, 0, 6);
  BatchLoader threaded(cases, standard_options(3), 42, 3, 0, 0, 6);
  for (int i = 0; i < 6; ++i) {
    auto [x0, y0] = inline_loader.next();
    auto [x1, y1] = threaded.next();
    // The same as drawing each sample j of batch i from its own seeded sampler.
    std::vector<at::Tensor> xs, ys;
    for (int j = 0; j < 3; ++j) {
      PatchSampler direct(standard_options(0).sampler, batch_seed(42, 3, i, j));
      auto [xj, yj] = direct.batch(cases, 1);
      xs.push_back(xj);
      ys.push_back(yj);
    }
    const at::Tensor x2 = at::cat(xs), y2 = at::cat(ys);
    EXPECT_TRUE(at::equal(x0, x1)) << "batch " << i;
    EXPECT_TRUE(at::equal(y0, y1)) << "batch " << i;
    EXPECT_TRUE(at::equal(x0, x2)) << "batch " << i;
    EXPECT_TRUE(at::equal(y0, y2)) << "batch " << i;
  }
}

TEST(BatchLoader, StartingMidEpochGivesTheSameLaterBatches) {
  const PreparedCase a = noisy_case("a", 1);
  const std::vector<const PreparedCase*> cases{&a};
  BatchLoader whole(cases, standard_options(2), 7, 0, 1, 0, 5);
  BatchLoader resumed(cases, standard_options(2), 7, 0, 1, 3, 5);
  for (int i = 0; i < 3; ++i) whole.next();
  for (int i = 3; i < 5; ++i) EXPECT_TRUE(at::equal(whole.next().first, resumed.next().first));
}

TEST(BatchLoader, ShardsOfABatchAreSlicesOfTheWholeBatch) {
  // One loader with batch 4 against shards 0 and 1 with batch 2: samples 0-1 and 2-3.
  const PreparedCase a = noisy_case("a", 1), b = noisy_case("b", 2), c = noisy_case("c", 3);
  const std::vector<const PreparedCase*> cases{&a, &b, &c};
  BatchLoaderOptions whole_options = standard_options(1), shard_options = standard_options(1);
  whole_options.batch_size = 4;
  shard_options.batch_size = 2;
  BatchLoader whole(cases, whole_options, 9, 1, 0, 0, 3);
  BatchLoader shard0(cases, shard_options, 9, 1, 0, 0, 3);
  BatchLoader shard1(cases, shard_options, 9, 1, 1, 0, 3);
  for (int i = 0; i < 3; ++i) {
    auto [x, y] = whole.next();
    auto [x0, y0] = shard0.next();
    auto [x1, y1] = shard1.next();
    EXPECT_TRUE(at::equal(x.slice(0, 0, 2), x0)) << "batch " << i;
    EXPECT_TRUE(at::equal(y.slice(0, 0, 2), y0)) << "batch " << i;
    EXPECT_TRUE(at::equal(x.slice(0, 2, 4), x1)) << "batch " << i;
    EXPECT_TRUE(at::equal(y.slice(0, 2, 4), y1)) << "batch " << i;
    EXPECT_FALSE(at::equal(x0, x1)) << "batch " << i;  // the shards draw different samples
  }
}

TEST(BatchLoader, AWorkersErrorReachesTheCaller) {
  PreparedCase unlabelled = noisy_case("no_label", 3);
  unlabelled.label = at::Tensor();
  const std::vector<const PreparedCase*> cases{&unlabelled};
  BatchLoader loader(cases, standard_options(2), 1, 0, 0, 0, 4);
  EXPECT_THROW(loader.next(), Error);
}

TEST(BatchLoader, StopsCleanlyWithBatchesUnconsumed) {
  const PreparedCase a = noisy_case("a", 1);
  const std::vector<const PreparedCase*> cases{&a};
  {
    BatchLoader loader(cases, standard_options(2), 1, 0, 0, 0, 100);
    EXPECT_EQ(loader.next().first.sizes(), (at::IntArrayRef{3, 1, 8, 10, 12}));
  }  // the destructor joins workers that wait on a full queue: a hang fails by timeout
}

}  // namespace
}  // namespace unetx::pipeline
