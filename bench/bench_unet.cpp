// bench_unet: U-Net training and inference throughput on CPU, fp32 and bf16 autocast, reported
// against the fp32 GEMM peak measured in the same run (absolute numbers depend on the machine;
// the ratios are what we track).
//
//   bench_unet [--threads N] [--quick] [--iters N] [--warmup N]
//
// --threads defaults to SLURM_CPUS_PER_TASK, else the hardware concurrency. --quick runs one timed
// iteration per measurement on smaller inputs (a smoke test, ~20 s); the default run takes about
// 2 minutes on 2 idle cores. Times are the best of the timed iterations.
#include <ATen/autocast_mode.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/bench_args.h"
#include "bench/bench_timing.h"
#include "models/flops.h"
#include "models/unet.h"

namespace {

using unetx::bench::best_seconds;
using unetx::bench::gemm_gflops;
using Settings = unetx::bench::BenchArgs;

using unetx::models::ModelPtr;
using unetx::models::UNetOptions;

// Turns bf16 CPU autocast on for one scope; the cache of casted weights is dropped on exit
// because the weights change at every optimizer step.
class CpuAutocast {
 public:
  explicit CpuAutocast(bool on) : previous_(at::autocast::is_cpu_enabled()) {
    if (on) at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::set_cpu_enabled(on);
  }
  ~CpuAutocast() {
    at::autocast::set_cpu_enabled(previous_);
    at::autocast::clear_cache();
  }
  CpuAutocast(const CpuAutocast&) = delete;
  CpuAutocast& operator=(const CpuAutocast&) = delete;

 private:
  bool previous_;
};

template <typename Step>
double time_steps(const Settings& s, Step&& step) {
  return best_seconds(s.warmup, s.iters, step);
}

double time_training(const Settings& s, const ModelPtr& model, const torch::Tensor& x,
                     const torch::Tensor& target, bool bf16) {
  model->train();
  torch::optim::Adam opt(model->parameters(), torch::optim::AdamOptions(1e-4));
  return time_steps(s, [&] {
    opt.zero_grad();
    torch::Tensor loss;
    {
      CpuAutocast autocast(bf16);
      loss = torch::nn::functional::cross_entropy(model->forward(x).to(torch::kFloat), target);
    }
    loss.backward();
    opt.step();
  });
}

double time_inference(const Settings& s, const ModelPtr& model, const torch::Tensor& x, bool bf16) {
  model->eval();
  torch::NoGradGuard no_grad;
  return time_steps(s, [&] {
    CpuAutocast autocast(bf16);
    auto y = model->forward(x);
  });
}

struct Case {
  std::string name;
  int dims;
  std::vector<int64_t> input;  // (B, C, spatial...)
  std::vector<int64_t> features;
};

struct Row {
  std::string label;
  double seconds;
  double images_per_s;
  double gflops;
};

void print_row(const Row& r, double peak) {
  std::printf("%-30s %9.1f %9.2f %9.1f %7.1f%%\n", r.label.c_str(), r.seconds * 1e3, r.images_per_s,
              r.gflops, 100.0 * r.gflops / peak);
}

void run_case(const Settings& s, const Case& c, double peak) {
  torch::manual_seed(0);
  auto model =
      unetx::models::make_unet(UNetOptions(c.input[1], 2).dims(c.dims).features(c.features));
  const auto x = torch::randn(c.input);
  std::vector<int64_t> target_shape = c.input;
  target_shape.erase(target_shape.begin() + 1);
  const auto target = torch::randint(0, 2, target_shape, torch::kLong);
  const double fwd = unetx::models::forward_flops(*model, c.input);
  const double batch = static_cast<double>(c.input[0]);
  std::printf("\n%s: forward %.1f GFLOP per batch of %lld (training step ~3x)\n", c.name.c_str(),
              fwd / 1e9, static_cast<long long>(c.input[0]));

  double seconds[2][2];  // [train?][bf16?]
  for (int train = 1; train >= 0; --train) {
    for (int bf16 = 0; bf16 <= 1; ++bf16) {
      const double t =
          train ? time_training(s, model, x, target, bf16) : time_inference(s, model, x, bf16);
      seconds[train][bf16] = t;
      const double flops = (train ? 3.0 : 1.0) * fwd;
      print_row({std::string(train ? "  train step " : "  inference  ") + (bf16 ? "bf16" : "fp32"),
                 t, batch / t, flops / t / 1e9},
                peak);
    }
  }
  std::printf("  bf16/fp32 speed-up: train %.2fx, inference %.2fx\n", seconds[1][0] / seconds[1][1],
              seconds[0][0] / seconds[0][1]);
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  s.iters = 2;
  if (const int stop = unetx::bench::parse_bench_args(argc, argv, s); stop >= 0) return stop;
  at::set_num_threads(s.threads);
  std::printf("bench_unet: %d intra-op threads, %d warm-up + %d timed iterations\n",
              at::get_num_threads(), s.warmup, s.iters);

  const int reps = s.quick ? 2 : 5;
  const double peak = gemm_gflops(2048, reps, at::kFloat);
  const double peak_bf16 = gemm_gflops(2048, reps, at::kBFloat16);
  std::printf("GEMM 2048^3 best of %d: fp32 %.1f GFLOP/s (the peak below), bf16 %.1f GFLOP/s\n",
              reps, peak, peak_bf16);

  std::printf("\n%-30s %9s %9s %9s %8s\n", "measurement", "ms/batch", "images/s", "GFLOP/s",
              "of peak");
  std::vector<Case> cases = {
      {"3-D U-Net, batch 2 x 1x64x64x64, features {16,32,64,128}",
       3,
       {2, 1, 64, 64, 64},
       {16, 32, 64, 128}},
      {"2-D U-Net, batch 16 x 1x128x128, features {32,64,128,256}",
       2,
       {16, 1, 128, 128},
       {32, 64, 128, 256}},
  };
  if (s.quick) {  // same networks, 1/8 of the voxels
    cases = {{"3-D U-Net, batch 2 x 1x32x32x32, features {16,32,64,128}",
              3,
              {2, 1, 32, 32, 32},
              {16, 32, 64, 128}},
             {"2-D U-Net, batch 2 x 1x128x128, features {32,64,128,256}",
              2,
              {2, 1, 128, 128},
              {32, 64, 128, 256}}};
  }
  for (const auto& c : cases) run_case(s, c, peak);
  return 0;
}
