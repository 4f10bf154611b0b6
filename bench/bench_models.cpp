// bench_models: forward (inference) and forward + backward (training step without the
// optimizer) throughput of every network of the zoo at a fixed 2-D and 3-D input, with the
// ratio to the plain U-Net of the same backbone (absolute numbers depend on the machine; the
// ratios are what we track). Last, batch-1 3-D convolutions with and without the halo split.
//
//   bench_models [--threads N] [--quick] [--iters N] [--warmup N]
//
// --quick uses smaller inputs and one timed iteration (a smoke test). Times are the best of the
// timed iterations (bench_timing.h).
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/bench_args.h"
#include "bench/bench_timing.h"
#include "models/flops.h"
#include "models/layers.h"
#include "models/registry.h"

namespace {

using unetx::bench::best_seconds;
using Settings = unetx::bench::BenchArgs;

// The zoo as benchmarked: each registry model with default options, plus U-Net with the SE
// variants (the SE study's question is their cost over the plain U-Net).
std::vector<std::pair<std::string, nlohmann::json>> variants() {
  std::vector<std::pair<std::string, nlohmann::json>> out = {
      {"unet", {{"name", "unet"}}},
      {"unetpp", {{"name", "unetpp"}}},
      {"eunet", {{"name", "eunet"}}},
      {"udtransnet", {{"name", "udtransnet"}}},
  };
  for (const char* se : {"cse", "sse", "scse", "srm", "fca", "monofractal"}) {
    out.push_back({std::string("unet+") + se, {{"name", "unet"}, {"se", se}}});
  }
  return out;
}

struct Timing {
  double forward_s, train_s;
};

Timing time_model(const Settings& s, unetx::models::SegmentationModel& model,
                  const torch::Tensor& x) {
  Timing t{};
  model.eval();
  {
    torch::NoGradGuard no_grad;
    t.forward_s = best_seconds(s.warmup, s.iters, [&] { model.forward(x); });
  }
  model.train();
  t.train_s = best_seconds(s.warmup, s.iters, [&] {
    model.zero_grad();
    torch::Tensor loss = torch::zeros({});
    for (const auto& out : model.forward_deep_supervision(x)) loss = loss + out.pow(2).mean();
    loss.backward();
  });
  return t;
}

void run_case(const Settings& s, const std::string& title, const std::vector<int64_t>& input,
              const std::vector<int64_t>& features) {
  const int dims = static_cast<int>(input.size()) - 2;
  const double batch = static_cast<double>(input[0]);
  std::printf("\n%s\n%-18s %11s %9s %10s %9s %9s %9s %8s\n", title.c_str(), "model", "params",
              "GFLOP", "fwd ms", "fwd img/s", "f+b ms", "f+b img/s", "f+b/unet");
  torch::manual_seed(0);
  const auto x = torch::randn(input);
  Timing unet{};
  for (const auto& [label, extra] : variants()) {
    auto config = unetx::models::model_config(extra.at("name"), input[1], 2, dims);
    for (const auto& item : extra.items()) config[item.key()] = item.value();
    config["features"] = features;
    const auto model = unetx::models::make_model(config);
    const double gflop = unetx::models::forward_flops(*model, input) / 1e9;
    // The first model of a run also pays one-time library set-up (thread pool, oneDNN kernels),
    // which would inflate the U-Net baseline every ratio divides by: time it twice.
    if (label == "unet") time_model(s, *model, x);
    const Timing t = time_model(s, *model, x);
    if (label == "unet") unet = t;
    std::printf("%-18s %11lld %9.2f %10.1f %9.2f %9.1f %9.2f %7.2fx   (fwd %.2fx)\n",
                label.c_str(), static_cast<long long>(unetx::models::parameter_count(*model)),
                gflop, t.forward_s * 1e3, batch / t.forward_s, t.train_s * 1e3,
                batch / t.train_s, t.train_s / unet.train_s, t.forward_s / unet.forward_s);
  }
}

// Batch-1 3-D convolutions (3^3, padding 1) forward + backward: LibTorch's own choice (the
// native kernel for these sizes) against the halo split of models/halo_split_conv.h.
void report_batch_one_convolutions(const Settings& s) {
  std::printf("\nbatch-1 3-D convolution 3^3, forward + backward: plain LibTorch vs halo split\n");
  for (const auto& [channels, size] : std::vector<std::pair<int64_t, int64_t>>{
           {8, 32}, {16, 32}, {32, 16}, {64, 8}, {128, 8}}) {
    torch::manual_seed(0);
    unetx::models::Layers<3>::Conv conv(
        unetx::models::Layers<3>::ConvOptions(channels, channels, 3).padding(1));
    const torch::Tensor x = torch::randn({1, channels, size, size, size}, torch::requires_grad());
    const double plain = best_seconds(s.warmup, s.iters, [&] {
      conv->torch::nn::Conv3dImpl::forward(x).sum().backward();
    });
    const double split = best_seconds(s.warmup, s.iters, [&] { conv(x).sum().backward(); });
    std::printf("  %3lld channels, %2lld^3: plain %8.2f ms  halo split %8.2f ms  speed-up %.2fx\n",
                static_cast<long long>(channels), static_cast<long long>(size), plain * 1e3,
                split * 1e3, plain / split);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  s.iters = 3;
  if (const int stop = unetx::bench::parse_bench_args(argc, argv, s); stop >= 0) return stop;
  at::set_num_threads(s.threads);
  std::printf("bench_models: %d intra-op threads, %d warm-up + %d timed iterations, fp32; "
              "ratios are time / plain U-Net time (higher = slower)\n",
              at::get_num_threads(), s.warmup, s.iters);
  if (s.quick) {
    run_case(s, "2-D, batch 2 x 1x64x64, features {16,32,64,128}", {2, 1, 64, 64},
             {16, 32, 64, 128});
    run_case(s, "3-D, batch 2 x 1x32x32x32, features {8,16,32,64}", {2, 1, 32, 32, 32},
             {8, 16, 32, 64});
  } else {
    run_case(s, "2-D, batch 4 x 1x128x128, features {32,64,128,256}", {4, 1, 128, 128},
             {32, 64, 128, 256});
    run_case(s, "3-D, batch 2 x 1x48x48x48, features {16,32,64,128}", {2, 1, 48, 48, 48},
             {16, 32, 64, 128});
  }
  report_batch_one_convolutions(s);
  return 0;
}
