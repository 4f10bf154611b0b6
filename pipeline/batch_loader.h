// Training batches prepared by background threads while the model computes.
//
// Sample j of the global batch of iteration i is a pure function of (seed, epoch, i, j): each
// sample is drawn by its own PatchSampler seeded from those four numbers. The loader of shard s
// with batch size b draws the samples [s b, (s + 1) b) of every global batch, so rank r of a
// data-parallel job (shard r) draws samples [r b, (r + 1) b), and one rank with batch
// 2b draws exactly the union of what two ranks with batch b draw. The workers may finish batches
// in any order and the loop still sees exactly the batches of a single-threaded run, and a run
// resumed at iteration i draws what the unbroken run drew there: the loader's position is the
// iteration index alone.
#pragma once

#include <ATen/ATen.h>

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "pipeline/case_prep.h"
#include "pipeline/patch_sampler.h"

namespace unetx::pipeline {

// Seed of sample `sample` of the global batch `iteration` of `epoch` (a splitmix64 mix, so
// neighbouring indices give unrelated streams). Also seeds per-step randomness such as dropout.
uint64_t batch_seed(uint64_t seed, int epoch, int iteration, int sample);

struct BatchLoaderOptions {
  PatchSamplerOptions sampler;
  int batch_size = 2;  // samples this loader draws per batch (per rank)
  int workers = 2;   // background threads; 0 = draw each batch in the caller's thread
  int prefetch = 4;  // batches prepared ahead of the one being consumed (bounded memory)
};

class BatchLoader {
 public:
  // Batches `first`..`end - 1` of `epoch`, drawn from `cases` (which must outlive the loader);
  // `shard` (the rank) picks the slice of every global batch, as above.
  BatchLoader(const std::vector<const PreparedCase*>& cases, BatchLoaderOptions options,
              uint64_t seed, int epoch, int shard, int first, int end);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // The next batch in order: image (B, C, ...) float32 and target (B, ...) int64. Blocks until
  // a worker has it; rethrows a worker's exception (e.g. a case without a label).
  std::pair<at::Tensor, at::Tensor> next();

 private:
  std::pair<at::Tensor, at::Tensor> draw(int iteration) const;
  void work();

  std::vector<const PreparedCase*> cases_;
  BatchLoaderOptions options_;
  uint64_t seed_;
  int epoch_, shard_, end_;
  int next_to_consume_;
  int next_to_draw_;
  std::map<int, std::pair<at::Tensor, at::Tensor>> ready_;
  std::exception_ptr error_;
  bool stopping_ = false;
  std::mutex mutex_;
  std::condition_variable batch_ready_, slot_free_;
  std::vector<std::thread> threads_;
};

}  // namespace unetx::pipeline
