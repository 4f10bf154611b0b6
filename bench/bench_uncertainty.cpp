// bench_uncertainty: the cost of each uncertainty estimator of `unetx uncertainty` as a ratio to
// one forward pass (one sliding-window prediction of the same case with the same network, a 3-D
// EU-Net with dropout), and the targets the issue sets:
//   MC dropout with N samples close to N (<= 1.25 N); collaboration gradient <= 3x;
//   TTA with every mirroring (no rotations) close to 2^D = 8 (<= 1.25 x 8).
// Every estimator runs through the method registry (xai/uncertainty_methods.h), as the command
// runs it. Prints MET / MISSED per target and always exits 0: timings on a shared machine are no
// gate.
//
//   bench_uncertainty [--threads N] [--quick] [--iters N] [--warmup N]
//
// Defaults: a 32^3 case in one 32^3 window, features {8,16,32}, MC dropout N = 8; about a
// minute on 2 shared cores. --quick: 16^3, one timed run. Every time is the best of --iters runs
// (default 3, the same for the baseline and the methods): on a shared machine a single run can
// be several times slower than the next.
#include <torch/torch.h>

#include <cstdio>
#include <functional>
#include <string>

#include "bench/bench_args.h"
#include "bench/bench_timing.h"
#include "models/eunet.h"
#include "pipeline/ensemble.h"
#include "xai/uncertainty_methods.h"

namespace {

namespace bench = unetx::bench;
namespace models = unetx::models;
namespace pl = unetx::pipeline;
namespace xai = unetx::xai;

void target(const char* what, double value, double limit) {
  std::printf("  target %-40s %6.2f <= %5.2f  %s\n", what, value, limit,
              value <= limit ? "MET" : "MISSED");
}

pl::InferenceEnsemble make_ensemble(int members, int64_t patch) {
  pl::InferenceEnsemble e;
  for (int i = 0; i < members; ++i) {
    torch::manual_seed(i + 1);
    models::UNetOptions backbone(1, 2);
    backbone.dims(3).features({8, 16, 32}).dropout(0.1);
    pl::InferenceModel m;
    m.model = models::make_eunet(models::EUNetOptions(backbone));
    m.model->eval();
    m.plan.patch_size = {patch, patch, patch};
    e.members.push_back(m);
    e.files.push_back("member" + std::to_string(i));
  }
  return e;
}

}  // namespace

int main(int argc, char** argv) {
  bench::BenchArgs args;
  args.iters = 3;
  if (const int code = bench::parse_bench_args(argc, argv, args); code >= 0) return code;
  at::set_num_threads(args.threads);
  const int64_t size = args.quick ? 16 : 32, patch = size;
  const int samples = 8;
  pl::InferenceEnsemble e = make_ensemble(2, patch);
  torch::manual_seed(0);
  const at::Tensor image = at::randn({1, size, size, size});
  xai::UncertaintyOptions o;
  o.samples = samples;
  o.rotation_degrees = 0;
  auto seconds = [&](const std::function<void()>& fn) {
    return bench::best_seconds(args.warmup, args.iters, fn);
  };
  auto run = [&](const char* method) {
    const auto& m = *xai::parse_methods(method).front();
    return seconds([&] { m.run(e, image, o); });
  };
  std::printf("bench_uncertainty: EU-Net 3-D features {8,16,32}, case %lld^3, patch %lld^3, "
              "%d threads\n",
              static_cast<long long>(size), static_cast<long long>(patch), args.threads);
  const double forward = seconds([&] {
    pl::predict_probabilities(*e.members[0].model, image, e.plan(), o.inference);
  });
  std::printf("  %-28s %9.4f s  %6.2fx forward\n", "forward (one prediction)", forward, 1.0);
  auto report = [&](const std::string& name, double s) {
    std::printf("  %-28s %9.4f s  %6.2fx forward\n", name.c_str(), s, s / forward);
    return s / forward;
  };
  report("entropy (single pass)", run("entropy"));
  const double mc = report("mc_dropout N=" + std::to_string(samples), run("mc_dropout"));
  const double collab = report("collaboration", run("collaboration"));
  const double tta = report("tta (8 mirrorings)", run("tta"));
  report("ensemble (2 members)", run("ensemble"));
  target("MC dropout N=8 / forward (close to 8)", mc, 1.25 * samples);
  target("collaboration gradient / forward", collab, 3.0);
  target("TTA all flips / forward (close to 2^3)", tta, 1.25 * 8);
  return 0;
}
