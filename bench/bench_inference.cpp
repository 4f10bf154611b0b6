// bench_inference: sliding-window inference of a 3-D U-Net on a whole volume, as `unetx predict`
// runs it (Gaussian-blended windows, then restore to the original grid and argmax), reported as
// voxels/s, peak resident memory, and FLOP/s as a share of the fp32 GEMM peak measured in the
// same run; then the ratios we track: TTA cost (all 8 mirrorings vs none) and slab-wise
// (memory-bounded) vs whole-volume throughput.
//
//   bench_inference [--size X,Y,Z] [--patch P] [--classes K] [--threads N] [--quick]
//                   [--iters N] [--warmup N]
//
// Defaults: 96x96x64 voxels, patch 32^3, 8 classes, features {8,16,32,64}: 1-1.5 minutes on
// 2 shared cores (a 64^3 patch costs 8x the FLOPs per window; the achieved share of the GEMM
// peak of these thin 3-D convolutions is low, so `--size 160,160,96 --patch 64` takes minutes).
// --quick: 64x64x48. Times are the best of the timed iterations (default 1, no warm-up pass).
// TTA is timed on the first patch of z rows only: its cost factor is the same for every window.
// Peak memory is VmHWM from /proc/self/status, reset before each measurement through
// /proc/self/clear_refs (Linux >= 4.0); where that fails the peaks are cumulative (marked).
#include <malloc.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench/bench_args.h"
#include "bench/bench_timing.h"
#include "models/flops.h"
#include "models/unet.h"
#include "pipeline/inference.h"
#include "pipeline/slab_inference.h"

namespace {

using unetx::bench::best_seconds;
namespace pl = unetx::pipeline;

struct Shape {
  std::array<int64_t, 3> size{96, 96, 64};  // (x, y, z)
  int64_t patch = 32;
  int64_t classes = 8;
};

// Takes --size, --patch and --classes out of argv (the rest goes to parse_bench_args).
// Returns false on a malformed value.
bool take_shape_args(int& argc, char** argv, Shape& s) {
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (std::strcmp(argv[i], "--size") == 0 && has_value) {
      long long x = 0, y = 0, z = 0;
      if (std::sscanf(argv[++i], "%lld,%lld,%lld", &x, &y, &z) != 3 || x < 1 || y < 1 || z < 1)
        return false;
      s.size = {x, y, z};
    } else if (std::strcmp(argv[i], "--patch") == 0 && has_value) {
      s.patch = std::atoll(argv[++i]);
      if (s.patch < 8 || s.patch % 8 != 0) return false;  // 3 poolings of the U-Net
    } else if (std::strcmp(argv[i], "--classes") == 0 && has_value) {
      s.classes = std::atoll(argv[++i]);
      if (s.classes < 2) return false;
    } else {
      argv[out++] = argv[i];
    }
  }
  argc = out;
  return true;
}

// Resets VmHWM to the current resident set; false where the kernel does not allow it.
bool reset_peak_rss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  return static_cast<bool>(clear.flush());
}

// A "VmXxx:" field of /proc/self/status in MB (VmHWM: peak resident set, VmRSS: current).
double status_mb(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::atof(line.c_str() + std::strlen(field)) / 1024.0;
  }
  return 0.0;
}

struct Measurement {
  double seconds = 0;
  double peak_mb = 0;
};

template <typename Fn>
Measurement measure(const unetx::bench::BenchArgs& args, Fn&& fn) {
  Measurement m;
  reset_peak_rss();
  m.seconds = best_seconds(args.warmup, args.iters, fn);
  m.peak_mb = status_mb("VmHWM:");
  return m;
}

// Peak memory where the class probabilities dominate: 16 classes on a 96x96x256 volume (150 MB
// per float32 probability volume) and a network that costs almost nothing (one 1x1x1
// convolution), whole-volume vs slab-wise with the smallest band. Prints the two peaks above the
// resident set before them and their ratio.
void print_probability_memory(const unetx::bench::BenchArgs& args, int64_t patch) {
  torch::NoGradGuard no_grad;  // as predict: no autograd graph holding every window
  const int64_t classes = 16;
  const std::array<int64_t, 3> size{96, 96, 256};  // (x, y, z)
  pl::PreparedCase tall;
  tall.image = torch::randn({1, size[2], size[1], size[0]});
  tall.original_size = size;
  torch::nn::Conv3d head(torch::nn::Conv3dOptions(1, classes, 1));
  const pl::WindowFn fn = [&](const at::Tensor& b) { return torch::softmax(head->forward(b), 1); };
  pl::SlidingWindowOptions sw;
  sw.patch_xyz = {patch, patch, patch};
  const int64_t band = pl::band_rows_for_budget(tall, classes, sw, 1.0);
  {  // one-time allocations of the first convolution (thread pools, caches) are not the paths'
    pl::PreparedCase small = tall;
    small.image = tall.image.slice(1, 0, 2 * patch).contiguous();
    small.original_size[2] = 2 * patch;
    pl::predict_slabs(small, classes, sw, band, fn, {});
  }
  const double before = status_mb("VmRSS:");
  // Slab-wise first: memory the whole-volume path frees may stay resident and would count.
  const Measurement slabs =
      measure(args, [&] { pl::predict_slabs(tall, classes, sw, band, fn, {}); });
  const Measurement whole = measure(args, [&] {
    const at::Tensor probs = pl::sliding_window(tall.image, classes, sw, fn);
    pl::labels_volume(pl::restore_to_original(probs, tall), tall.original_geometry);
  });
  std::printf(
      "probability-bound case, 96x96x256, 16 classes (%.0f MB per probability volume), 1x1x1 "
      "network:\n  peak RSS above the %.0f MB before: whole volume %.0f MB, slab-wise (band %lld "
      "rows) %.0f MB; ratio %.3f; time ratio slab-wise / whole %.2f\n",
      4.0 * classes * size[0] * size[1] * size[2] / 1e6, before, whole.peak_mb - before,
      static_cast<long long>(band), slabs.peak_mb - before,
      (slabs.peak_mb - before) / (whole.peak_mb - before), slabs.seconds / whole.seconds);
  // Saved probabilities (predict --save-probabilities) of the slab-wise path: anonymous memory
  // (what cannot be paged out without swap) held with them, in memory vs in a scratch mapping.
  const std::filesystem::path scratch = std::filesystem::temp_directory_path();
  auto held_mb = [&](const pl::ProbabilityOutput& kept) {
    const double anon_before = status_mb("RssAnon:");
    const pl::SlabPrediction p = pl::predict_slabs(tall, classes, sw, band, fn, kept);
    return status_mb("RssAnon:") - anon_before;
  };
  const double in_memory = held_mb({true, {}}), mapped = held_mb({true, scratch});
  std::printf(
      "  kept probabilities, anonymous memory held with them: in memory %.0f MB, scratch "
      "mapping in %s %.0f MB; ratio %.3f\n",
      in_memory, scratch.c_str(), mapped, mapped / std::max(in_memory, 1.0));
}

// The 3-D U-Net on `shape`: the network alone, the whole-volume and slab-wise paths, and TTA on
// one row of windows; throughput as voxels/s and as a share of the GEMM `peak` (GFLOP/s).
void print_unet_throughput(const unetx::bench::BenchArgs& args, const Shape& shape, double peak) {
  torch::manual_seed(0);
  const auto [sx, sy, sz] = shape.size;
  const double voxels = static_cast<double>(sx * sy * sz);
  const std::vector<int64_t> features{8, 16, 32, 64};
  auto model = unetx::models::make_unet(
      unetx::models::UNetOptions(1, shape.classes).dims(3).features(features));
  model->eval();
  pl::Plan plan;
  plan.patch_size = {shape.patch, shape.patch, shape.patch};
  plan.labels.assign(shape.classes, "class");
  pl::PreparedCase pc;
  pc.id = "bench";
  pc.image = torch::randn({1, sz, sy, sx});
  pc.original_size = shape.size;  // plan grid = original grid: restore is a copy
  const pl::Networks nets{model.get()};
  pl::InferenceOptions none, all;
  all.tta = pl::MirrorAxes::parse("all");
  const pl::SlidingWindowOptions sw = pl::sliding_window_options(plan, none);
  const auto grid = pl::window_grid({sz, sy, sx}, sw);
  const double window_flops =
      unetx::models::forward_flops(*model, {1, 1, shape.patch, shape.patch, shape.patch});
  std::printf(
      "volume %lldx%lldx%lld, patch %lld^3, overlap 0.5: %zu windows of %.2f GFLOP; "
      "%lld classes: %.0f MB per float32 probability volume\n",
      static_cast<long long>(sx), static_cast<long long>(sy), static_cast<long long>(sz),
      static_cast<long long>(shape.patch), grid.starts.size(), window_flops / 1e9,
      static_cast<long long>(shape.classes), 4.0 * shape.classes * voxels / 1e6);

  torch::NoGradGuard no_grad;
  {  // oneDNN picks its kernels on the first call: keep that out of every measurement
    auto window = torch::randn({sw.batch_size, 1, shape.patch, shape.patch, shape.patch});
    model->forward(window);
  }
  auto whole_on = [&](const pl::PreparedCase& c, const pl::InferenceOptions& o) {
    const at::Tensor probs =
        pl::sliding_window(c.image, shape.classes, sw, pl::probability_window_fn(nets, plan, o));
    return pl::labels_volume(pl::restore_to_original(probs, c), c.original_geometry).data;
  };
  auto whole = [&](const pl::InferenceOptions& o) { return whole_on(pc, o); };
  // TTA costs the same factor on every window, so it is measured on one row of windows (the
  // first patch of z rows): 8 passes over the whole volume would take most of a minute.
  pl::PreparedCase row_of_windows = pc;
  const int64_t crop_z = std::min(shape.patch, sz);
  row_of_windows.image = pc.image.slice(1, 0, crop_z).contiguous();
  row_of_windows.original_size = {sx, sy, crop_z};
  const auto crop_windows =
      static_cast<double>(pl::window_grid({crop_z, sy, sx}, sw).starts.size());
  const double budget = 1.0;  // bytes: the smallest band, one window row
  const int64_t band = pl::band_rows_for_budget(pc, shape.classes, sw, budget);
  const bool resets = reset_peak_rss();
  std::printf("resident before the measurements (model, image, runtime): %.0f MB\n",
              status_mb("VmRSS:"));

  // The network alone on the same windows: what the sliding window's own work is measured against.
  const auto batches =
      static_cast<int64_t>((grid.starts.size() + sw.batch_size - 1) / sw.batch_size);
  const auto batch = torch::randn({sw.batch_size, 1, shape.patch, shape.patch, shape.patch});
  const Measurement m_net = measure(args, [&] {
    for (int64_t b = 0; b < batches; ++b) model->forward(batch);
  });
  const Measurement m_whole = measure(args, [&] { whole(none); });
  const Measurement m_slab = measure(args, [&] {
    pl::predict_slabs(pc, shape.classes, sw, band, pl::probability_window_fn(nets, plan, none),
                      {});
  });
  const Measurement m_row = measure(args, [&] { whole_on(row_of_windows, none); });
  const Measurement m_tta = measure(args, [&] { whole_on(row_of_windows, all); });

  const double n_windows = static_cast<double>(grid.starts.size());
  std::printf("\n%-34s %9s %12s %9s %8s %10s\n", "measurement", "s", "voxels/s", "GFLOP/s",
              "of peak", "peak RSS");
  // `windows` forward passes over `n_voxels` voxels.
  auto row = [&](const std::string& label, const Measurement& m, double windows, double n_voxels) {
    const double gflops = windows * window_flops / m.seconds / 1e9;
    std::printf("%-34s %9.2f %12.3g %9.1f %7.1f%% %7.0f MB%s\n", label.c_str(), m.seconds,
                n_voxels / m.seconds, gflops, 100.0 * gflops / peak, m.peak_mb,
                resets ? "" : " (cumulative)");
  };
  const double crop_voxels = static_cast<double>(sx * sy * crop_z);
  row("network alone, same windows", m_net, static_cast<double>(batches * sw.batch_size), voxels);
  row("whole volume, no TTA", m_whole, n_windows, voxels);
  row("slab-wise, band " + std::to_string(band) + " rows, no TTA", m_slab, n_windows, voxels);
  row("first " + std::to_string(crop_z) + " z rows, no TTA", m_row, crop_windows, crop_voxels);
  row("first " + std::to_string(crop_z) + " z rows, TTA all (8)", m_tta, 8 * crop_windows,
      crop_voxels);
  std::printf("\nnetwork share of the whole-volume time: %.2f\n", m_net.seconds / m_whole.seconds);
  std::printf("TTA cost ratio (all / none): %.2fx time for 8x the forward passes\n",
              m_tta.seconds / m_row.seconds);
  std::printf("slab-wise / whole-volume throughput: %.3f; peak RSS slab-wise / whole: %.3f\n",
              m_whole.seconds / m_slab.seconds, m_slab.peak_mb / m_whole.peak_mb);
}

}  // namespace

int main(int argc, char** argv) {
  Shape shape;  // the defaults: see Shape
  unetx::bench::BenchArgs args;
  args.iters = 1;
  args.warmup = 0;
  const bool quick = [&] {
    for (int i = 1; i < argc; ++i)
      if (std::strcmp(argv[i], "--quick") == 0) return true;
    return false;
  }();
  if (quick) shape = {{64, 64, 48}, 32, 8};
  if (!take_shape_args(argc, argv, shape)) {
    std::fprintf(stderr,
                 "%s: --size X,Y,Z (positive), --patch P (a multiple of 8), --classes K "
                 "(>= 2)\n",
                 argv[0]);
    return 2;
  }
  if (const int stop = unetx::bench::parse_bench_args(argc, argv, args); stop >= 0) {
    if (stop == 0)
      std::printf(
          "  --size X,Y,Z  volume (default 96,96,64)\n"
          "  --patch P     window edge (default 32)\n"
          "  --classes K   output classes (default 8)\n"
          "  (here --iters defaults to 1 and --warmup to 0: one whole pass takes seconds)\n");
    return stop;
  }
  at::set_num_threads(args.threads);
  // A fixed threshold (glibc otherwise raises it after the first large free): every buffer of
  // 1 MB or more is its own mapping, returned to the system when freed, so VmHWM measures what
  // each path holds rather than what earlier ones left in the heap.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  std::printf("bench_inference: %d intra-op threads, %d warm-up + %d timed iterations\n",
              at::get_num_threads(), args.warmup, args.iters);
  const double peak = unetx::bench::gemm_gflops(2048, quick ? 2 : 5, at::kFloat);
  std::printf("GEMM 2048^3 fp32: %.1f GFLOP/s (the peak below)\n", peak);
  print_probability_memory(args, shape.patch);  // first: before the U-Net runs
  print_unet_throughput(args, shape, peak);
  return 0;
}
