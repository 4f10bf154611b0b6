// Wall-clock timing shared by the benchmarks. They report the best of several runs, not the
// mean: on a shared, noisy machine the best run measures the machine, not its other tenants.
#pragma once

#include <ATen/ATen.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <vector>

namespace unetx::bench {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Best seconds per call of `fn` over `iters` timed calls, after `warmup` untimed calls.
template <typename Fn>
double best_seconds(int warmup, int iters, Fn&& fn) {
  for (int i = 0; i < warmup; ++i) fn();
  double best = 1e30;
  for (int i = 0; i < iters; ++i) {
    const auto t0 = Clock::now();
    fn();
    best = std::min(best, seconds_since(t0));
  }
  return best;
}

// The same with an untimed `setup()` before every call (e.g. evicting files from the page cache).
template <typename Setup, typename Fn>
double best_seconds_after(int iters, Setup&& setup, Fn&& fn) {
  double best = 1e30;
  for (int i = 0; i < iters; ++i) {
    setup();
    const auto t0 = Clock::now();
    fn();
    best = std::min(best, seconds_since(t0));
  }
  return best;
}

// Best seconds per call of each of `fns`, timed in `rounds` rounds of one call of each in turn:
// a burst of load from other tenants then slows one round of every function alike, instead of
// all of one function's calls, so ratios between them hold on a shared machine.
inline std::vector<double> best_seconds_alternating(int rounds,
                                                    const std::vector<std::function<void()>>& fns) {
  std::vector<double> best(fns.size(), 1e30);
  for (int round = 0; round < rounds; ++round) {
    for (size_t j = 0; j < fns.size(); ++j) best[j] = std::min(best[j], best_seconds(0, 1, fns[j]));
  }
  return best;
}

// The machine's matrix-multiply speed, measured in the same run as the benchmark so that model
// throughput can be printed as a share of it: best of `reps` n x n x n matmuls, in GFLOP/s.
inline double gemm_gflops(int64_t n, int reps, at::ScalarType dtype) {
  auto a = at::randn({n, n}).to(dtype), b = at::randn({n, n}).to(dtype);
  at::Tensor c;
  const double best = best_seconds(1, reps, [&] { c = at::matmul(a, b); });
  return 2.0 * static_cast<double>(n * n * n) / best / 1e9;
}

}  // namespace unetx::bench
