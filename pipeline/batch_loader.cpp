#include "pipeline/batch_loader.h"

#include <ATen/Parallel.h>
#include <omp.h>

namespace unetx::pipeline {

uint64_t batch_seed(uint64_t seed, int epoch, int iteration, int sample) {
  // splitmix64 over the four numbers in turn: a cheap, well-mixed hash.
  auto mix = [](uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  uint64_t h = mix(seed);
  for (uint64_t v : {static_cast<uint64_t>(epoch), static_cast<uint64_t>(iteration),
                     static_cast<uint64_t>(sample)})
    h = mix(h ^ v);
  return h;
}

BatchLoader::BatchLoader(const std::vector<const PreparedCase*>& cases, BatchLoaderOptions options,
                         uint64_t seed, int epoch, int shard, int first, int end)
    : cases_(cases),
      options_(std::move(options)),
      seed_(seed),
      epoch_(epoch),
      shard_(shard),
      end_(end),
      next_to_consume_(first),
      next_to_draw_(first) {
  if (options_.prefetch < 1) options_.prefetch = 1;
  for (int w = 0; w < options_.workers; ++w) threads_.emplace_back([this] { work(); });
}

BatchLoader::~BatchLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  slot_free_.notify_all();
  for (auto& t : threads_) t.join();
}

std::pair<at::Tensor, at::Tensor> BatchLoader::draw(int iteration) const {
  std::vector<at::Tensor> images, labels;
  for (int j = 0; j < options_.batch_size; ++j) {
    const int sample = shard_ * options_.batch_size + j;
    PatchSampler sampler(options_.sampler, batch_seed(seed_, epoch_, iteration, sample));
    auto [image, label] = sampler.batch(cases_, 1);
    images.push_back(image);
    labels.push_back(label);
  }
  return {at::cat(images), at::cat(labels)};
}

void BatchLoader::work() {
  // One OpenMP thread per worker: the intra-op threads belong to the model step, and a worker
  // that forked its own team on every tensor op would fight it for the cores. (ATen would reset
  // this thread's count on its first parallel op, so its lazy initialisation runs first.)
  at::internal::lazy_init_num_threads();
  omp_set_num_threads(1);
  for (;;) {
    int i;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      slot_free_.wait(lock, [this] {
        return stopping_ || error_ || next_to_draw_ >= end_ ||
               next_to_draw_ < next_to_consume_ + options_.prefetch;
      });
      if (stopping_ || error_ || next_to_draw_ >= end_) return;
      i = next_to_draw_++;
    }
    try {
      auto batch = draw(i);
      std::lock_guard<std::mutex> lock(mutex_);
      ready_.emplace(i, std::move(batch));
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_) error_ = std::current_exception();
    }
    batch_ready_.notify_all();
  }
}

std::pair<at::Tensor, at::Tensor> BatchLoader::next() {
  if (threads_.empty()) return draw(next_to_consume_++);
  std::unique_lock<std::mutex> lock(mutex_);
  batch_ready_.wait(lock, [this] { return error_ || ready_.count(next_to_consume_) > 0; });
  auto it = ready_.find(next_to_consume_);
  if (it == ready_.end()) std::rethrow_exception(error_);
  auto batch = std::move(it->second);
  ready_.erase(it);
  ++next_to_consume_;
  lock.unlock();
  slot_free_.notify_all();
  return batch;
}

}  // namespace unetx::pipeline
