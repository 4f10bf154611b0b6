// The command line the model benchmarks share (bench_unet, bench_models):
//   [--threads N] [--quick] [--iters N] [--warmup N] [--help]
// They link models/ only, so the thread default is worked out here, as pipeline::default_threads
// does it: SLURM_CPUS_PER_TASK, else every core.
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "pipeline/allocator.h"

namespace unetx::bench {

struct BenchArgs {
  int threads = 1;
  int warmup = 1;
  int iters = 2;
  bool quick = false;  // 1 timed iteration, smaller inputs: a smoke test
};

inline int default_threads() {
  if (const char* slurm = std::getenv("SLURM_CPUS_PER_TASK")) {
    if (int n = std::atoi(slurm); n > 0) return n;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

inline void print_usage(std::FILE* out, const char* argv0, int default_iters) {
  std::fprintf(out,
               "usage: %s [--threads N] [--quick] [--iters N] [--warmup N]\n"
               "  --threads N  intra-op threads (default: SLURM_CPUS_PER_TASK, else all cores: %d)\n"
               "  --quick      1 timed iteration per measurement, smaller inputs (smoke test)\n"
               "  --iters N    timed iterations per measurement (default %d)\n"
               "  --warmup N   untimed iterations before each measurement (default 1)\n",
               argv0, default_threads(), default_iters);
}

// Parses argv into `args` (whose iters holds the program's default). Returns an exit code when
// the program should stop (0 after --help, 2 after a usage error), -1 to go on.
inline int parse_bench_args(int argc, char** argv, BenchArgs& args) {
  pipeline::tune_allocator();  // as the program runs
  const int default_iters = args.iters;
  args.threads = default_threads();
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--help" || arg == "-h") {
      print_usage(stdout, argv[0], default_iters);
      return 0;
    } else if (arg == "--quick") {
      args.quick = true;
      args.iters = 1;
    } else if (arg == "--threads" && has_value) {
      args.threads = std::atoi(argv[++i]);
    } else if (arg == "--iters" && has_value) {
      args.iters = std::atoi(argv[++i]);
    } else if (arg == "--warmup" && has_value) {
      args.warmup = std::atoi(argv[++i]);
    } else {
      print_usage(stderr, argv[0], default_iters);
      return 2;
    }
  }
  if (args.threads > 0 && args.iters > 0 && args.warmup >= 0) return -1;
  print_usage(stderr, argv[0], default_iters);
  return 2;
}

}  // namespace unetx::bench
