// Preprocessing throughput of one CT-like case (what `unetx preprocess` does per case, without
// the file I/O that bench_io measures): the fingerprint (nonzero box + foreground sampling) and
// prepare_case (crop, resample to a coarser grid, normalize) with and without the crop to the
// nonzero region. Prints voxels/s and the ratio cropped / uncropped; no absolute gates.
//   bench_preprocess [--threads N] [--quick] [--iters N] [--warmup N]
#include <ATen/Parallel.h>

#include <cstdio>

#include "bench_args.h"
#include "bench_timing.h"
#include "pipeline/case_prep.h"
#include "pipeline/fingerprint.h"

namespace pl = unetx::pipeline;
using unetx::bench::best_seconds;

namespace {

// A body-in-air phantom: a cylinder of soft tissue (~40 HU, noisy) in -1000 HU air padded by
// zeros outside the scanner's field of view, so a third of each axis is croppable.
unetx::io::Volume phantom(int64_t nx, int64_t ny, int64_t nz) {
  unetx::io::Volume v;
  auto z = at::arange(nz, at::kFloat).view({nz, 1, 1});
  auto y = at::arange(ny, at::kFloat).view({1, ny, 1});
  auto x = at::arange(nx, at::kFloat).view({1, 1, nx});
  auto r2 = (x - nx / 2.0).pow(2) / (nx * nx / 9.0) + (y - ny / 2.0).pow(2) / (ny * ny / 9.0);
  auto body = r2.lt(1.0).expand({nz, ny, nx});
  auto image = at::where(body, 40.0 + 20.0 * at::randn({nz, ny, nx}), at::full({1}, -1000.0));
  auto fov = (x - nx / 2.0).abs().lt(nx / 3.0) & (y - ny / 2.0).abs().lt(ny / 3.0) &
             (z - nz / 2.0).abs().lt(nz / 3.0);
  v.data = at::where(fov, image, at::zeros({1})).unsqueeze(0).contiguous();
  v.geometry.spacing = {0.8, 0.8, 1.5};
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  unetx::bench::BenchArgs args;
  args.iters = 3;
  if (int code = unetx::bench::parse_bench_args(argc, argv, args); code >= 0) return code;
  at::set_num_threads(args.threads);
  const int64_t n = args.quick ? 96 : 256;
  const unetx::io::Volume image = phantom(n, n, n / 2);
  const double voxels = static_cast<double>(image.data.numel());

  pl::CaseFingerprint f;
  const double fingerprint_s = best_seconds(args.warmup, args.iters, [&] {
    f = pl::fingerprint_case("bench", image, nullptr, {"CT"});
  });
  pl::Plan plan;
  plan.target_spacing = {1.0, 1.0, 1.5};
  pl::ChannelNormalization ct;
  ct.scheme = "ct";
  ct.clip_low = -1000;
  ct.clip_high = 100;
  ct.mean = -300;
  ct.std = 450;
  plan.channel_normalization = {ct};
  auto prepare = [&](bool crop) {
    plan.crop_to_nonzero = crop;
    return best_seconds(args.warmup, args.iters,
                        [&] { pl::prepare_case("bench", image, nullptr, plan); });
  };
  const double whole_s = prepare(false), cropped_s = prepare(true);
  std::printf("bench_preprocess: %lldx%lldx%lld float32 case, %d thread(s)\n",
              static_cast<long long>(n), static_cast<long long>(n),
              static_cast<long long>(n / 2), args.threads);
  std::printf("  fingerprint_case          %8.1f Mvoxel/s (%.0f ms)\n", voxels / fingerprint_s / 1e6,
              fingerprint_s * 1e3);
  std::printf("  prepare_case, whole grid  %8.1f Mvoxel/s (%.0f ms)\n", voxels / whole_s / 1e6,
              whole_s * 1e3);
  std::printf("  prepare_case, cropped     %8.1f Mvoxel/s (%.0f ms); crop box %lldx%lldx%lld\n",
              voxels / cropped_s / 1e6, cropped_s * 1e3, static_cast<long long>(f.nonzero.size[0]),
              static_cast<long long>(f.nonzero.size[1]), static_cast<long long>(f.nonzero.size[2]));
  std::printf("  ratio cropped / whole time: %.2f\n", cropped_s / whole_s);
  return 0;
}
