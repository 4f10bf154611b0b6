// bench_metrics: surface-distance metrics (HD, HD95, ASSD, NSD from one call) on a pair of
// 256^3 masks with anisotropic spacing, and the same computation against the naive method
// (every surface voxel against every surface voxel of the other mask) on a smaller pair in the
// same run, whose values must agree. Ratios are what we track; absolute times vary with load.
//
//   bench_metrics [--threads N] [--size N]
#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/bench_timing.h"
#include "pipeline/allocator.h"
#include "pipeline/runtime.h"
#include "pipeline/statistics.h"
#include "pipeline/surface_distance.h"

namespace {

using unetx::bench::Clock;
using unetx::bench::seconds_since;
using unetx::pipeline::SurfaceMetrics;

// Reference: an ellipsoid; prediction: the same ellipsoid shifted and slightly larger, with a
// bump, so the surfaces differ everywhere by a few voxels.
std::pair<at::Tensor, at::Tensor> mask_pair(int64_t n) {
  const at::Tensor axis = at::linspace(-1.0, 1.0, n, at::kFloat);
  const at::Tensor z = axis.view({n, 1, 1}), y = axis.view({1, n, 1}), x = axis.view({1, 1, n});
  const at::Tensor ref = (x * x / 0.5 + y * y / 0.4 + z * z / 0.6).lt(1.0);
  const at::Tensor xs = x - 0.04f;
  const at::Tensor pred = (xs * xs / 0.55 + y * y / 0.42 + z * z / 0.6).lt(1.0) |
                          ((xs - 0.6f) * (xs - 0.6f) + y * y + z * z).lt(0.02);
  return {pred, ref};
}

// Naive surface metrics: for each surface voxel, the nearest surface voxel of the other mask
// by trying them all.
SurfaceMetrics brute_force(const at::Tensor& pred, const at::Tensor& ref,
                           const std::array<double, 3>& sp, double tol) {
  auto coords = [&](const at::Tensor& m) {
    const at::Tensor idx = unetx::pipeline::surface_voxels(m).nonzero().to(at::kDouble);
    return idx * at::tensor({sp[2], sp[1], sp[0]}, at::kDouble);  // (N, 3) in mm, z y x
  };
  const at::Tensor a = coords(pred), b = coords(ref);
  auto directed = [](const at::Tensor& from, const at::Tensor& to) {
    std::vector<double> out(from.size(0));
    for (int64_t i = 0; i < from.size(0); ++i)
      out[i] = (to - from[i]).pow(2).sum(1).min().sqrt().item<double>();
    return out;
  };
  const std::vector<double> ab = directed(a, b), ba = directed(b, a);
  const at::Tensor all = at::cat({at::tensor(ab, at::kDouble), at::tensor(ba, at::kDouble)});
  SurfaceMetrics m;
  m.hd = all.max().item<double>();
  m.hd95 = std::max(unetx::pipeline::percentile(ab, 95), unetx::pipeline::percentile(ba, 95));
  m.assd = all.mean().item<double>();
  m.nsd = all.le(tol).sum().item<double>() / static_cast<double>(all.numel());
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  unetx::pipeline::tune_allocator();  // as the program runs
  int threads = unetx::pipeline::default_threads();
  int64_t size = 256;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    if (arg == "--threads") threads = std::atoi(argv[i + 1]);
    if (arg == "--size") size = std::atoll(argv[i + 1]);
  }
  at::set_num_threads(std::max(1, threads));
  const std::array<double, 3> spacing{0.8, 0.8, 2.5};
  const double tol = 2.0;
  std::printf("bench_metrics: %d intra-op threads, spacing 0.8 x 0.8 x 2.5 mm, NSD at %.1f mm\n",
              at::get_num_threads(), tol);

  auto [pred, ref] = mask_pair(size);
  auto t0 = Clock::now();
  const SurfaceMetrics big = unetx::pipeline::surface_metrics(pred, ref, spacing, tol);
  const double t_big = seconds_since(t0);
  std::printf("(a) %lld^3 pair: %.2f s per case (HD %.2f, HD95 %.2f, ASSD %.3f mm, NSD %.4f)\n",
              static_cast<long long>(size), t_big, big.hd, big.hd95, big.assd, big.nsd);

  const int64_t small = 96;
  auto [sp, sr] = mask_pair(small);
  (void)unetx::pipeline::surface_metrics(sp, sr, spacing, tol);  // warm-up
  t0 = Clock::now();
  const SurfaceMetrics fast = unetx::pipeline::surface_metrics(sp, sr, spacing, tol);
  const double t_fast = seconds_since(t0);
  t0 = Clock::now();
  const SurfaceMetrics naive = brute_force(sp, sr, spacing, tol);
  const double t_naive = seconds_since(t0);
  const bool agree =
      std::abs(fast.hd - naive.hd) < 1e-9 && std::abs(fast.hd95 - naive.hd95) < 1e-9 &&
      std::abs(fast.assd - naive.assd) < 1e-9 && std::abs(fast.nsd - naive.nsd) < 1e-12;
  std::printf(
      "(b) %lld^3 pair: distance transform %.1f ms, brute force %.1f ms: %.0fx faster; "
      "values %s\n",
      static_cast<long long>(small), t_fast * 1e3, t_naive * 1e3, t_naive / t_fast,
      agree ? "agree" : "DIFFER");
  return agree ? 0 : 1;
}
