// Restores the intra-op thread count (which also sizes io's file pools) when a test ends, so a
// test that changes it leaves the others as they were.
#pragma once

#include <ATen/Parallel.h>

namespace unetx::test {

class ThreadCount {
 public:
  ThreadCount() : saved_(at::get_num_threads()) {}
  ~ThreadCount() { at::set_num_threads(saved_); }
  ThreadCount(const ThreadCount&) = delete;
  ThreadCount& operator=(const ThreadCount&) = delete;

 private:
  int saved_;
};

}  // namespace unetx::test
