// bench_distributed: what data-parallel training over MPI costs.
//
//   bench_distributed [--quick]
//
// Started alone, it measures one rank (1 and 2 intra-op threads), then reruns itself under
// `mpirun -n 2` (each rank 1 thread) for the 2-rank parts, and prints:
//   allreduce      time and bus bandwidth (2(p-1)/p * bytes / time) of Communicator::allreduce_sum
//                  for messages of 1 KB .. 64 MB (the cost model takes the best figure of
//                  256 KB and up as the link bandwidth, the 1 KB time as the latency)
//   wait share     share of a 2-rank training step (pipeline::training_step) spent in
//                  GradientBuckets::finish (waiting for the sums still in flight + copying back),
//                  against the plain per-parameter blocking average after backward
//   throughput     2 ranks x 1 thread against 1 rank x 2 threads on the same global batch
//                  (target >= 90%)
//   cost model     ring allreduce t = 2(p-1)/p * bytes / bandwidth + 2(p-1) * latency, with the
//                  model's parameter bytes and the measured compute time of a step: predicted
//                  scaling efficiency t_compute / (t_compute + t_allreduce) at 2 ranks (against
//                  the measured 2-rank weak-scaling figure) and at 8, 64 and 512 GPUs.
// Best of several steps; on a shared machine compare ratios, not absolutes. Never fails.
#include <torch/torch.h>

#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <unistd.h>

#include "bench/bench_timing.h"
#include "distributed/communicator.h"
#include "distributed/gradient_buckets.h"
#include "models/unet.h"
#include "pipeline/allocator.h"
#include "pipeline/data_parallel.h"
#include "pipeline/optimization.h"
#include "pipeline/training_step.h"

namespace {

using namespace unetx;
using bench::best_seconds;

constexpr int kPerRankBatch = 1;

struct StepSetup {
  models::ModelPtr model;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  at::Tensor x, y;
};

StepSetup make_step(int batch) {
  torch::manual_seed(1);
  StepSetup s;
  s.model = models::make_unet(models::UNetOptions(1, 2).dims(3).features({8, 16, 32}));
  s.optimizer = pipeline::make_optimizer({"adam", 1e-3, 0.0}, s.model->parameters());
  s.x = torch::randn({batch, 1, 32, 32, 32});
  s.y = (s.x.select(1, 0) > 0.5).to(torch::kLong);
  s.model->train();
  return s;
}

int64_t parameter_count(models::SegmentationModel& model) {
  int64_t n = 0;
  for (const auto& p : model.parameters()) n += p.numel();
  return n;
}

// Best seconds of one training step of `batch` samples; `after_backward` averages gradients.
double step_seconds(StepSetup& s, int iters, const std::function<void()>& after_backward) {
  return best_seconds(2, iters, [&] {
    pipeline::training_step(*s.model, *s.optimizer, "dice_ce", s.x, s.y, false, after_backward);
  });
}

// ----- the 2-rank part (under mpirun) -----

void print_allreduce_table(dist::Communicator& comm, bool quick, std::ostream& results) {
  if (comm.is_root()) std::printf("allreduce (2 ranks, float32, in place)\n");
  double best_bus = 0.0;  // the link's bandwidth: the best large-message figure
  for (int64_t bytes = 1 << 10; bytes <= (int64_t{64} << 20); bytes *= 16) {
    at::Tensor t = at::ones({bytes / 4});
    const int iters = quick ? 2 : (bytes >= (4 << 20) ? 5 : 50);
    const double sec = best_seconds(2, iters, [&] { comm.allreduce_sum(t); });
    const double p = comm.size();
    const double bus = 2 * (p - 1) / p * static_cast<double>(bytes) / sec;
    if (comm.is_root())
      std::printf("  %9lld bytes  %10.1f us  bus bandwidth %8.3f GB/s\n",
                  static_cast<long long>(bytes), sec * 1e6, bus / 1e9);
    if (bytes == (1 << 10)) results << "@latency_s " << sec / (2 * (p - 1)) << "\n";
    if (bytes >= (256 << 10)) best_bus = std::max(best_bus, bus);
  }
  results << "@bandwidth_Bps " << best_bus << "\n";
}

void mpi_part(bool quick) {
  auto comm = dist::make_communicator("mpi");
  at::set_num_threads(1);
  std::ostringstream results;
  print_allreduce_table(*comm, quick, results);
  const int iters = quick ? 2 : 6;
  StepSetup s = make_step(kPerRankBatch);
  pipeline::broadcast_parameters(*s.model, *comm);
  double wait = 1e30;  // best of the steps, like every other figure here
  dist::GradientBuckets buckets(s.model->parameters(), *comm, 64 << 10);
  const double bucketed = step_seconds(s, iters, [&] {
    buckets.finish();
    wait = std::min(wait, buckets.finish_seconds());
  });
  double plain_wait = 1e30;
  // The baseline: no hooks, a blocking allreduce per parameter after backward.
  StepSetup plain = make_step(kPerRankBatch);
  const double plain_step = step_seconds(plain, iters, [&] {
    const auto t0 = bench::Clock::now();
    pipeline::average_gradients(*plain.model, *comm);
    plain_wait = std::min(plain_wait, bench::seconds_since(t0));
  });
  results << "@step2_s " << bucketed << "\n@wait2_s " << wait << "\n";
  if (comm->is_root()) {
    std::printf("training step, 2 ranks x batch %d x 1 thread: %.3f s\n", kPerRankBatch, bucketed);
    std::printf("  buckets (64 KB, %zu of them, %d started inside backward): waiting %.2f ms = "
                "%.1f%% of the step\n",
                buckets.buckets().size(), buckets.started_in_backward(), wait * 1e3,
                100 * wait / bucketed);
    std::printf("  per-parameter blocking allreduce after backward: %.2f ms = %.1f%% of a %.3f s "
                "step\n",
                plain_wait * 1e3, 100 * plain_wait / plain_step, plain_step);
    std::printf("%s", results.str().c_str());
  }
  comm->barrier();
}

// ----- the parent: 1-rank baselines, the mpirun child, ratios and the cost model -----

std::map<std::string, double> run_two_ranks(bool quick, std::string& printed) {
  char self[4096] = {0};
  const ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  if (n <= 0) return {};
  const std::string out = "/tmp/bench_distributed_" + std::to_string(getpid()) + ".txt";
  const std::string command =
      "OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none "
      "mpirun --allow-run-as-root --oversubscribe -n 2 '" + std::string(self) + "'" +
      (quick ? " --quick" : "") + " > '" + out + "' 2>&1";
  const int rc = std::system(command.c_str());
  std::ifstream in(out);
  std::map<std::string, double> values;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("@", 0) == 0) {
      std::istringstream fields(line.substr(1));
      std::string key;
      double v = 0;
      if (fields >> key >> v) values[key] = v;
    } else {
      printed += line + "\n";
    }
  }
  std::remove(out.c_str());
  if (rc != 0) printed += "(mpirun exited with status " + std::to_string(rc) + ")\n";
  return values;
}

double ring_seconds(double p, double bytes, double bandwidth, double latency) {
  return 2 * (p - 1) / p * bytes / bandwidth + 2 * (p - 1) * latency;
}

void print_cost_model(double params, double compute, double bandwidth, double latency,
                      double measured2) {
  const double bytes = 4 * params;
  std::printf("cost model: %.0f parameters (%.2f MB of float32 gradients), compute %.3f s/step\n",
              params, bytes / 1e6, compute);
  const double predicted2 = compute / (compute + ring_seconds(2, bytes, bandwidth, latency));
  std::printf("  2 ranks, measured link (%.2f GB/s, %.1f us): predicted efficiency %.3f, "
              "measured %.3f, measured / predicted %.2f\n",
              bandwidth / 1e9, latency * 1e6, predicted2, measured2, measured2 / predicted2);
  struct Link {
    const char* name;
    double bandwidth, latency;
  };
  const Link links[] = {{"this machine's shared memory", bandwidth, latency},
                        {"100 Gb/s InfiniBand", 12.5e9, 5e-6},
                        {"10 Gb/s Ethernet", 1.25e9, 30e-6}};
  for (const Link& link : links) {
    std::printf("  %-30s", link.name);
    for (double p : {8.0, 64.0, 512.0}) {
      const double e = compute / (compute + ring_seconds(p, bytes, link.bandwidth, link.latency));
      std::printf("  %3.0f GPUs: %.3f", p, e);
    }
    std::printf("\n");
  }
}

void parent(bool quick) {
  const int iters = quick ? 2 : 6;
  at::set_num_threads(1);
  StepSetup one = make_step(kPerRankBatch);
  const double step1 = step_seconds(one, iters, {});
  at::set_num_threads(2);
  StepSetup global = make_step(2 * kPerRankBatch);
  const double step1x2 = step_seconds(global, iters, {});
  const double params = static_cast<double>(parameter_count(*one.model));
  std::string printed;
  const auto two = run_two_ranks(quick, printed);
  std::printf("%s", printed.c_str());
  std::printf("1 rank x 1 thread, batch %d: %.3f s/step\n", kPerRankBatch, step1);
  std::printf("1 rank x 2 threads, batch %d: %.3f s/step\n", 2 * kPerRankBatch, step1x2);
  if (!two.count("step2_s") || !two.count("bandwidth_Bps")) {
    std::printf("the 2-rank run gave no figures (see above)\n");
    return;
  }
  const double step2 = two.at("step2_s");
  std::printf("2 ranks x 1 thread vs 1 rank x 2 threads, global batch %d: throughput ratio %.2f "
              "(target >= 0.90)\n",
              2 * kPerRankBatch, step1x2 / step2);
  std::printf("gradient wait share of a 2-rank step: %.1f%%\n", 100 * two.at("wait2_s") / step2);
  print_cost_model(params, step1, two.at("bandwidth_Bps"), two.at("latency_s"), step1 / step2);
}

}  // namespace

int main(int argc, char** argv) {
  unetx::pipeline::tune_allocator();  // as the program runs
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--quick") {
      quick = true;
    } else {
      std::printf("usage: %s [--quick]   (runs `mpirun -n 2` itself)\n", argv[0]);
      return arg == "--help" || arg == "-h" ? 0 : 2;
    }
  }
  if (unetx::dist::launched_by_mpi()) {
    mpi_part(quick);
  } else {
    parent(quick);
  }
  return 0;
}
