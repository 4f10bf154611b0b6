// bench_train: is the data loader hidden behind compute, and what does bf16 buy a training step?
//
//   bench_train [--threads N] [--quick] [--iters N] [--warmup N]
//
// The step is pipeline::training_step, the trainer's own. Measured on one 3-D U-Net and batch:
//   compute only   steps on one batch already in memory (the ceiling: no loading at all)
//   end to end     every step takes its batch from pipeline::BatchLoader, which draws patches
//                  (foreground oversampling) and augments them ("standard": rotations, scaling,
//                  noise, blur, brightness, contrast, gamma) - inline, then with 1 and 2
//                  background workers
//   bf16           compute only and end to end under bf16 autocast
// Printed: steps/s, end to end as a share of compute only (target >= 90% with workers), bf16
// over fp32 (target >= 1.4x), and training GFLOP/s (3x the forward FLOPs) as a share of the fp32
// GEMM peak measured in the same run. Every figure is the mean over `iters` consecutive steps
// after `warmup` steps, so a loader that falls behind shows up; compare ratios, not absolutes.
#include <torch/torch.h>

#include <cstdio>
#include <string>
#include <vector>

#include "bench/bench_args.h"
#include "bench/bench_timing.h"
#include "models/flops.h"
#include "models/unet.h"
#include "pipeline/batch_loader.h"
#include "pipeline/optimization.h"
#include "pipeline/training_step.h"

namespace {

using namespace unetx;
using bench::Clock;
using bench::seconds_since;

struct Setup {
  std::array<int64_t, 3> patch;
  int batch;
  std::vector<int64_t> features;
  std::vector<int64_t> image_zyx;
};

// Seconds per step, mean over `iters` steps after `warmup`, each taking its batch from `next`.
template <typename Next>
double seconds_per_step(const bench::BenchArgs& a, models::SegmentationModel& model,
                        torch::optim::Optimizer& opt, bool bf16, Next&& next) {
  for (int i = 0; i < a.warmup; ++i) {
    auto [x, y] = next();
    pipeline::training_step(model, opt, "dice_ce", x, y, bf16);
  }
  const auto t0 = Clock::now();
  for (int i = 0; i < a.iters; ++i) {
    auto [x, y] = next();
    pipeline::training_step(model, opt, "dice_ce", x, y, bf16);
  }
  return seconds_since(t0) / a.iters;
}

}  // namespace

int main(int argc, char** argv) {
  bench::BenchArgs a;
  a.iters = 6;
  if (const int stop = bench::parse_bench_args(argc, argv, a); stop >= 0) return stop;
  if (a.quick) a.iters = 2;
  at::set_num_threads(a.threads);
  const Setup setup = a.quick ? Setup{{32, 32, 32}, 2, {8, 16, 32, 64}, {48, 64, 64}}
                              : Setup{{64, 64, 64}, 2, {16, 32, 64, 128}, {96, 128, 128}};

  torch::manual_seed(0);
  pipeline::PreparedCase c;
  c.id = "bench";
  c.image = torch::randn({1, setup.image_zyx[0], setup.image_zyx[1], setup.image_zyx[2]});
  c.label = (c.image > 1.5).to(torch::kByte);  // ~7% foreground, scattered
  const std::vector<const pipeline::PreparedCase*> cases{&c};

  auto model = models::make_unet(models::UNetOptions(1, 2).dims(3).features(setup.features));
  auto opt = pipeline::make_optimizer({"adam", 1e-4, 0.0}, model->parameters());
  const std::vector<int64_t> input{setup.batch, 1, setup.patch[2], setup.patch[1], setup.patch[0]};
  const double train_flops = 3.0 * models::forward_flops(*model, input);
  const double peak = bench::gemm_gflops(2048, a.quick ? 2 : 5, at::kFloat);

  std::printf("bench_train: %d intra-op threads; 3-D U-Net features", at::get_num_threads());
  for (auto f : setup.features) std::printf(" %lld", static_cast<long long>(f));
  std::printf(", batch %d x 1x%lldx%lldx%lld, %d warm-up + %d timed steps each\n", setup.batch,
              static_cast<long long>(setup.patch[2]), static_cast<long long>(setup.patch[1]),
              static_cast<long long>(setup.patch[0]), a.warmup, a.iters);
  std::printf("fp32 GEMM 2048^3 peak %.1f GFLOP/s; a training step is %.1f GFLOP\n\n", peak,
              train_flops / 1e9);
  std::printf("%-36s %9s %9s %10s %9s\n", "measurement", "s/step", "steps/s", "of compute", "of peak");

  pipeline::BatchLoaderOptions lo;
  lo.sampler.patch_xyz = setup.patch;
  lo.sampler.augment = pipeline::AugmentOptions::preset("standard");
  lo.batch_size = setup.batch;
  double compute[2] = {0, 0};
  for (int bf16 = 0; bf16 <= 1; ++bf16) {
    const char* precision = bf16 ? "bf16" : "fp32";
    pipeline::BatchLoader fixed_source(cases, lo, 1, 0, 0, 0, 1);
    const auto fixed = fixed_source.next();
    compute[bf16] = seconds_per_step(a, *model, *opt, bf16, [&] { return fixed; });
    auto row = [&](const std::string& label, double t) {
      std::printf("%-36s %9.3f %9.3f %9.1f%% %8.1f%%\n", label.c_str(), t, 1.0 / t,
                  100.0 * compute[bf16] / t, 100.0 * train_flops / t / 1e9 / peak);
    };
    row(std::string("compute only, ") + precision, compute[bf16]);
    for (int workers : {0, 1, 2}) {
      lo.workers = workers;
      pipeline::BatchLoader loader(cases, lo, 7, bf16, 0, 0, a.warmup + a.iters);
      const double t = seconds_per_step(a, *model, *opt, bf16, [&] { return loader.next(); });
      row(std::string("end to end, ") + precision + ", " +
              (workers == 0 ? std::string("inline loader") : std::to_string(workers) + " worker(s)"),
          t);
    }
  }
  std::printf("\nbf16 / fp32 training speed-up (compute only): %.2fx (target >= 1.4x)\n",
              compute[0] / compute[1]);
  return 0;
}
