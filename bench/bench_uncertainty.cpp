// bench_uncertainty: the cost of each uncertainty estimator of `unetx uncertainty` as a ratio to
// one forward pass (one sliding-window prediction of the same case with the same network, a 3-D
// EU-Net with dropout), and the targets the issue sets:
//   single-pass entropy <= 1.2x; MC dropout with N samples close to N (<= 1.25 N);
//   collaboration gradient <= 3x; TTA with every mirroring (no rotations) close to 2^D = 8
//   (<= 1.25 x 8).
// Every estimator runs through the method registry (xai/uncertainty_methods.h), as the command
// runs it. Prints MET / MISSED per target and always exits 0: timings on a shared machine are no
// gate.
//
//   bench_uncertainty [--threads N] [--quick] [--iters N] [--warmup N]
//
// Defaults: a 32^3 case in one 32^3 window, features {8,16,32}, MC dropout N = 8; about a
// minute on 2 shared cores. --quick: 16^3, one timed run. Every time is the best of --iters runs
// (default 5, the same for the baseline and the methods), taken in rounds of one run of each:
// on a shared machine a single run can be several times slower than the next.
#include <torch/torch.h>

#include <cstdio>
#include <algorithm>
#include <functional>
#include <string>
#include <utility>
#include <vector>

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
  args.iters = 5;
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
  std::printf("bench_uncertainty: EU-Net 3-D features {8,16,32}, case %lld^3, patch %lld^3, "
              "%d threads\n",
              static_cast<long long>(size), static_cast<long long>(patch), args.threads);
  // The baseline and the methods take turns, round after round, so a burst of load from other
  // tenants slows one round of each rather than all of one measurement.
  std::vector<std::pair<std::string, std::function<void()>>> jobs = {
      {"forward (one prediction)",
       [&] { pl::predict_probabilities(*e.members[0].model, image, e.plan(), o.inference); }}};
  auto add = [&](const std::string& label, const char* method) {
    const auto& m = *xai::parse_methods(method).front();
    jobs.emplace_back(label, [&e, &image, &o, &m] { m.run(e, image, o); });
  };
  add("entropy (single pass)", "entropy");
  add("mc_dropout N=" + std::to_string(samples), "mc_dropout");
  add("collaboration", "collaboration");
  add("tta (8 mirrorings)", "tta");
  add("ensemble (2 members)", "ensemble");
  std::vector<std::function<void()>> calls;
  for (const auto& job : jobs) {
    for (int i = 0; i < args.warmup; ++i) job.second();
    calls.push_back(job.second);
  }
  const std::vector<double> best = bench::best_seconds_alternating(args.iters, calls);
  const double forward = best[0];
  for (size_t j = 0; j < jobs.size(); ++j)
    std::printf("  %-28s %9.4f s  %6.2fx forward\n", jobs[j].first.c_str(), best[j],
                best[j] / forward);
  const double entropy = best[1] / forward, mc = best[2] / forward, collab = best[3] / forward,
               tta = best[4] / forward;
  target("entropy / forward", entropy, 1.2);
  target("MC dropout N=8 / forward (close to 8)", mc, 1.25 * samples);
  target("collaboration gradient / forward", collab, 3.0);
  target("TTA all flips / forward (close to 2^3)", tta, 1.25 * 8);
  return 0;
}
