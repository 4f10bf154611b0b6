// bench_evaluate: `unetx evaluate` on a cohort of many small cases, with 1 rank and with N ranks
// under mpirun (the way a cluster runs it), from the outside: wall time of the whole command,
// cases per second and the speedup, plus the CPU time of all its processes (the speedup needs N
// idle cores; CPU seconds per case show the sharding's overhead even on a busy machine). The
// N-rank metrics.csv, summary.json and manifest.csv must equal the 1-rank ones byte for byte.
// A rerun over the finished 1-rank output (every case resumed) measures roughly what does not
// shard: start-up, the resume checks, rank 0's tables and report.html.
//
//   bench_evaluate [--cases 1000] [--size 64,64,32] [--ranks 2] [--repeats 2] [--dir DIR]
//                  [--unetx PATH] [--mpirun PATH] [--keep]
#include <ATen/ATen.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "bench/bench_timing.h"
#include "io/image_io.h"
#include "pipeline/allocator.h"
#include "pipeline/synth.h"

#ifndef UNETX_BINARY
#define UNETX_BINARY "unetx"
#endif
#ifndef UNETX_MPIRUN
#define UNETX_MPIRUN "mpirun"
#endif

namespace {

namespace fs = std::filesystem;
using unetx::bench::Clock;
using unetx::bench::seconds_since;

struct Options {
  int cases = 1000;
  std::array<int64_t, 3> size{64, 64, 32};
  int ranks = 2;
  int repeats = 2;
  fs::path dir = fs::temp_directory_path() / "unetx_bench_evaluate";
  std::string unetx = UNETX_BINARY;
  std::string mpirun = UNETX_MPIRUN;
  bool keep = false;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const std::string next = i + 1 < argc ? argv[i + 1] : "";
    if (arg == "--keep") {
      o.keep = true;
      continue;
    }
    if (arg == "--cases") o.cases = std::atoi(next.c_str());
    if (arg == "--ranks") o.ranks = std::atoi(next.c_str());
    if (arg == "--repeats") o.repeats = std::max(1, std::atoi(next.c_str()));
    if (arg == "--dir") o.dir = next;
    if (arg == "--unetx") o.unetx = next;
    if (arg == "--mpirun") o.mpirun = next;
    if (arg == "--size")
      std::sscanf(next.c_str(), "%ld,%ld,%ld", &o.size[0], &o.size[1], &o.size[2]);
    ++i;
  }
  return o;
}

// References: synth phantoms (random anisotropic spacing and rotation, 2 labels). Predictions:
// the reference shifted by case % 3 voxels along x, so Dice and distances vary over the cohort.
void write_cohort(const Options& o) {
  fs::create_directories(o.dir / "ref");
  fs::create_directories(o.dir / "pred");
  unetx::pipeline::SynthOptions phantom;
  phantom.size_xyz = o.size;
  phantom.labels = 2;
  phantom.seed = 7;
  for (int i = 0; i < o.cases; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "case_%04d.nii.gz", i);
    unetx::io::Volume label = unetx::pipeline::make_phantom(phantom, i).second;
    unetx::io::write_image(label, o.dir / "ref" / id);
    label.data = at::roll(label.data, {i % 3}, {3});
    unetx::io::write_image(label, o.dir / "pred" / id);
  }
}

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

struct Timing {
  double wall = 1e30;  // seconds
  double cpu = 1e30;   // user + system seconds of every process the command started
};

double children_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_CHILDREN, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

// Runs `command` through the shell; exits the benchmark when it fails.
Timing run_timed(const std::string& command) {
  const double cpu0 = children_cpu_seconds();
  const auto t0 = Clock::now();
  const int status = std::system(command.c_str());
  Timing t{seconds_since(t0), children_cpu_seconds() - cpu0};
  if (status != 0) {
    std::fprintf(stderr, "bench_evaluate: failed (status %d): %s\n", status, command.c_str());
    std::exit(1);
  }
  return t;
}

std::string evaluate_command(const Options& o, const fs::path& out) {
  return o.unetx + " evaluate -p " + (o.dir / "pred").string() + " -r " + (o.dir / "ref").string() +
         " -o " + out.string() + " --threads 1 --log-level warn 2>>" +
         (o.dir / "stderr.log").string();
}

// Best wall and CPU time of `repeats` evaluate runs, into a fresh `out` each time (or, with
// `rerun`, over the finished `out`); `launcher` prefixes the command (mpirun ... or nothing).
Timing best_evaluate(const Options& o, const std::string& launcher, const fs::path& out,
                     bool rerun = false) {
  Timing best;
  for (int r = 0; r < o.repeats; ++r) {
    if (!rerun) fs::remove_all(out);
    const Timing t = run_timed(launcher + evaluate_command(o, out));
    best.wall = std::min(best.wall, t.wall);
    best.cpu = std::min(best.cpu, t.cpu);
  }
  return best;
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five;
  in >> one >> five;
  return one.empty() ? "n/a" : one + " (1 min), " + five + " (5 min)";
}

bool same_file(const fs::path& a, const fs::path& b) {
  const std::string x = slurp(a), y = slurp(b);
  return !x.empty() && x == y;
}

}  // namespace

int main(int argc, char** argv) {
  unetx::pipeline::tune_allocator();  // as the program runs
  const Options o = parse(argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress lines show as they come, even in a log
  // Shared memory transport, no ssh launcher, as tests/CMakeLists.txt runs the MPI test;
  // the caller's settings win.
  setenv("OMPI_MCA_btl", "self,vader", 0);
  setenv("OMPI_MCA_plm", "isolated", 0);
  setenv("OMPI_MCA_btl_vader_single_copy_mechanism", "none", 0);
  setenv("OMPI_MCA_rmaps_base_oversubscribe", "1", 0);
  // A rank waiting in the gather or in MPI_Finalize yields its core instead of spinning on it.
  setenv("OMPI_MCA_mpi_yield_when_idle", "1", 0);
  std::printf(
      "bench_evaluate: %d cases of %ld x %ld x %ld voxels, 2 labels, 1 thread per rank, "
      "best of %d\n",
      o.cases, o.size[0], o.size[1], o.size[2], o.repeats);
  fs::remove_all(o.dir);
  const auto t0 = Clock::now();
  write_cohort(o);
  std::printf("  cohort written in %.2f s (%s)\n", seconds_since(t0), o.dir.c_str());

  const fs::path one = o.dir / "eval_1", many = o.dir / "eval_n";
  std::printf("  load average before: %s on %u cores\n", load_average().c_str(),
              std::thread::hardware_concurrency());
  const Timing t1 = best_evaluate(o, "", one);
  const Timing tn = best_evaluate(
      o, o.mpirun + " --allow-run-as-root --oversubscribe -np " + std::to_string(o.ranks) + " ",
      many);
  const Timing tail = best_evaluate(o, "", one, true);
  std::printf("  load average after:  %s\n", load_average().c_str());
  auto line = [&](const char* what, const Timing& t) {
    std::printf("  %-8s %7.2f s wall %8.1f cases/s   %7.2f s CPU %6.2f ms CPU/case\n", what, t.wall,
                o.cases / t.wall, t.cpu, 1e3 * t.cpu / o.cases);
  };
  line("1 rank", t1);
  line((std::to_string(o.ranks) + " ranks").c_str(), tn);
  std::printf("  speedup %d ranks / 1 rank: %.2fx wall; CPU time %d ranks / 1 rank: %.2fx\n",
              o.ranks, t1.wall / tn.wall, o.ranks, tn.cpu / t1.cpu);
  std::printf(
      "  rerun, every case resumed (start-up, resume checks, tables, report): "
      "%.2f s wall, %.2f s CPU\n",
      tail.wall, tail.cpu);
  bool same = true;
  for (const char* file : {"metrics.csv", "summary.json", "manifest.csv"}) {
    const bool ok = same_file(one / file, many / file);
    std::printf("  %s: %d-rank %s 1-rank\n", file, o.ranks, ok ? "==" : "DIFFERS FROM");
    same = same && ok;
  }
  if (!o.keep) fs::remove_all(o.dir);
  return same ? 0 : 1;
}
