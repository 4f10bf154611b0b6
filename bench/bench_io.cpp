// bench_io: cohort I/O throughput, reported as ratios against baselines measured in the same run
// (absolute numbers depend on the machine and its load; the ratios are what we track).
//
//   bench_io [--threads N] [--quick] [--iters N] [--size N]
//
// (a) .nii.gz read of an N^3 int16 volume (default 256): unetx's reader (libdeflate + own voxel
//     decoding) vs a plain zlib stream decode of the same file (gzread loop) vs ITK's reader,
//     for the file unetx writes (BGZF blocks, inflated on all threads) and for one ITK writes
//     (a single stream, as files from other tools are; inflated in chunks on all threads, see
//     io/gzip_parallel.h). Throughput is MB/s of decoded voxel bytes. Target: unetx >= 2x the
//     zlib stream, for the single stream with the default threads (the target line); its ratio
//     with 1 thread is printed too. Also writing: unetx's writer vs ITK's.
// (b) preprocessing: cases/s for resample (linear, to 1.25x coarser spacing) + z-score of the
//     same volume, with pipeline/ functions.
// (c) DICOM series read: an N-slice int16 series through read_dicom vs reading its files' bytes
//     alone; the ratio says how far assembly (parse, sort, decode) is from the file-read bound,
//     with the files in the page cache and evicted from it (read from the disk); then the same
//     with 1 thread, to show what parsing and decoding the files in parallel buys.
// Times are the best of the timed iterations (after one warm-up).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/bench_timing.h"
#include "io/dicom_export.h"
#include "io/dicom_series.h"
#include "io/gzip_inflate.h"
#include "io/image_io.h"
#include "pipeline/allocator.h"
#include "pipeline/normalize.h"
#include "pipeline/resample.h"
#include "pipeline/runtime.h"

namespace {

using unetx::bench::best_seconds;
using unetx::bench::best_seconds_after;

namespace fs = std::filesystem;
using unetx::io::Volume;

struct Settings {
  int threads = 1;
  int iters = 3;
  int64_t size = 256;
};

bool parse(int argc, char** argv, Settings& s) {
  s.threads = unetx::pipeline::default_threads();
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--quick") {
      s.iters = 1;
      s.size = 128;
    } else if (arg == "--threads" && has_value) {
      s.threads = std::atoi(argv[++i]);
    } else if (arg == "--iters" && has_value) {
      s.iters = std::atoi(argv[++i]);
    } else if (arg == "--size" && has_value) {
      s.size = std::atoll(argv[++i]);
    } else {
      return false;
    }
  }
  return s.threads > 0 && s.iters > 0 && s.size >= 16;
}

// A CT-like int16 phantom: air, a body ellipsoid with soft-tissue texture, a denser core and
// scanner noise, so the file compresses about as well as a real scan (not a trivial ramp).
Volume phantom(int64_t n) {
  const at::Tensor axis = at::linspace(-1.0, 1.0, n, at::kFloat);
  const at::Tensor z = axis.view({n, 1, 1}), y = axis.view({1, n, 1}), x = axis.view({1, 1, n});
  const at::Tensor r2 = x * x / 0.8 + y * y / 0.6 + z * z / 0.9;
  at::Tensor hu = at::full({n, n, n}, -1000.0f);
  hu = at::where(r2 < 1.0, 40.0f + 30.0f * at::sin(x * 23.0f) * at::cos(y * 17.0f), hu);
  hu = at::where(r2 < 0.15, at::full_like(hu, 700.0f), hu);
  at::manual_seed(7);
  hu = hu + at::randn({n, n, n}) * 12.0f;
  Volume v;
  v.data = hu.round().to(at::kShort).unsqueeze(0);
  v.geometry.spacing = {0.8, 0.8, 1.0};
  return v;
}

// The baseline: zlib's streaming gzip decode of the whole file into one buffer.
void zlib_stream_decode(const fs::path& file, std::vector<char>& out) {
  gzFile f = gzopen(file.c_str(), "rb");
  if (!f) std::abort();
  gzbuffer(f, 1 << 17);
  size_t at = 0;
  int got = 0;
  while ((got = gzread(f, out.data() + at,
                       static_cast<unsigned>(std::min<size_t>(out.size() - at, 1u << 30)))) > 0) {
    at += static_cast<size_t>(got);
    if (at == out.size()) out.resize(out.size() * 2);
  }
  gzclose(f);
}

// One .nii.gz file read three ways: unetx's reader, zlib's stream decode, ITK's reader.
void report_nifti_read(const Settings& s, const fs::path& file, const Volume& v, const char* what) {
  const double mb = static_cast<double>(v.data.nbytes()) / 1e6;
  Volume sink;
  const double t_unetx = best_seconds(1, s.iters, [&] { sink = unetx::io::read_image(file); });
  if (!at::equal(sink.data, v.data)) std::printf("  WARNING: unetx read differs from written\n");
  std::vector<char> buffer(static_cast<size_t>(v.data.nbytes()) + 4096);
  const double t_zlib = best_seconds(1, s.iters, [&] { zlib_stream_decode(file, buffer); });
  const double t_itk = best_seconds(1, s.iters, [&] { sink = unetx::io::read_image_itk(file); });
  const unetx::io::Bytes gz = unetx::io::read_file_bytes(file);
  const double t_inflate = best_seconds(1, s.iters, [&] {
    if (unetx::io::gunzip(gz.begin(), gz.size, file.string()).size == 0) std::abort();
  });
  std::printf("  %s (%.1f MB on disk):\n", what, static_cast<double>(fs::file_size(file)) / 1e6);
  std::printf("    inflating alone (file in memory): %.0f MB/s\n", mb / t_inflate);
  std::printf("    unetx %.0f MB/s, zlib stream %.0f MB/s: ratio %.2f (target >= 2); ITK %.0f MB/s: "
              "unetx/ITK %.2f\n",
              mb / t_unetx, mb / t_zlib, t_zlib / t_unetx, mb / t_itk, t_itk / t_unetx);
}

// The single-stream file (as ITK and most tools write it) once more, read with 1 intra-op thread
// (serial libdeflate) and with the default count (the member split over the threads by
// io/gzip_parallel.h), each against the zlib stream decode measured alongside.
void report_single_stream(const Settings& s, const fs::path& file, const Volume& v) {
  const double mb = static_cast<double>(v.data.nbytes()) / 1e6;
  const unetx::io::Bytes gz = unetx::io::read_file_bytes(file);
  std::vector<char> buffer(static_cast<size_t>(v.data.nbytes()) + 4096);
  const double t_zlib = best_seconds(1, s.iters, [&] { zlib_stream_decode(file, buffer); });
  double ratio[2] = {0, 0}, inflate[2] = {0, 0};
  const int counts[2] = {1, s.threads};
  for (int k = 0; k < 2; ++k) {
    at::set_num_threads(counts[k]);
    Volume sink;
    const double t_read = best_seconds(1, s.iters, [&] { sink = unetx::io::read_image(file); });
    if (!at::equal(sink.data, v.data)) std::printf("  WARNING: unetx read differs from written\n");
    const double t_inflate = best_seconds(1, s.iters, [&] {
      if (unetx::io::gunzip(gz.begin(), gz.size, file.string()).size == 0) std::abort();
    });
    ratio[k] = t_zlib / t_read;
    inflate[k] = mb / t_inflate;
  }
  at::set_num_threads(s.threads);
  std::printf(
      "  single stream, unetx read / zlib stream (%.0f MB/s): %.2f with 1 thread, %.2f with "
      "%d threads; inflating alone %.0f and %.0f MB/s\n",
      mb / t_zlib, ratio[0], ratio[1], s.threads, inflate[0], inflate[1]);
  std::printf("target: single-stream .nii.gz read >= 2x zlib stream  %s\n",
              ratio[1] >= 2.0 ? "MET" : "MISSED");
}

// (a) The same volume written by unetx (BGZF blocks, parallel inflate) and by ITK (one zlib
// stream, as most other tools write): both are read; writing speed is compared too.
void bench_nifti(const Settings& s, const fs::path& dir) {
  const Volume v = phantom(s.size);
  const fs::path ours = dir / "phantom.nii.gz", itk = dir / "phantom_itk.nii.gz";
  const double mb = static_cast<double>(v.data.nbytes()) / 1e6;
  const double t_write = best_seconds(0, 1, [&] { unetx::io::write_image(v, ours); });
  const double t_write_itk = best_seconds(0, 1, [&] { unetx::io::write_image_itk(v, itk); });
  std::printf("(a) %lldx%lldx%lld int16 .nii.gz, %.1f MB of voxels\n",
              static_cast<long long>(s.size), static_cast<long long>(s.size),
              static_cast<long long>(s.size), mb);
  std::printf("  write: unetx %.0f MB/s, ITK %.0f MB/s: ratio %.2f\n", mb / t_write,
              mb / t_write_itk, t_write_itk / t_write);
  report_nifti_read(s, ours, v, "written by unetx (gzip in BGZF blocks, inflated in parallel)");
  report_nifti_read(s, itk, v, "written by ITK (one gzip stream, split over the threads)");
  report_single_stream(s, itk, v);
}

void bench_preprocess(const Settings& s, const fs::path& dir) {
  const Volume v = unetx::io::read_image(dir / "phantom.nii.gz");
  const std::array<double, 3> to = {v.geometry.spacing[0] * 1.25, v.geometry.spacing[1] * 1.25,
                                    v.geometry.spacing[2] * 1.25};
  const auto size_to = unetx::pipeline::resampled_size(v.size(), v.geometry.spacing, to);
  at::Tensor out;
  const double t_pre = best_seconds(1, s.iters, [&] {
    at::Tensor r = unetx::pipeline::resample(v.data, v.geometry.spacing, to, size_to,
                                             unetx::pipeline::Interp::Linear);
    out = unetx::pipeline::zscore(r);
  });
  const double t_read =
      best_seconds(1, s.iters, [&] { (void)unetx::io::read_image(dir / "phantom.nii.gz"); });
  std::printf(
      "\n(b) preprocess (linear resample to %lldx%lldx%lld + z-score): %.2f cases/s "
      "(%.0f ms); read + preprocess %.2f cases/s, reading is %.0f%% of it\n",
      static_cast<long long>(size_to[0]), static_cast<long long>(size_to[1]),
      static_cast<long long>(size_to[2]), 1.0 / t_pre, t_pre * 1e3, 1.0 / (t_pre + t_read),
      100.0 * t_read / (t_pre + t_read));
}

// Drops the files from the page cache (POSIX_FADV_DONTNEED: no root needed), so the next read
// comes from the disk, as for a cohort read once.
void evict(const std::vector<fs::path>& files) {
  for (const auto& f : files) {
    const int fd = ::open(f.c_str(), O_RDONLY);
    if (fd < 0) continue;
    ::fdatasync(fd);
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
  }
}

// (c) The phantom as a DICOM series of N single-frame files: read_dicom (scan, sort, decode,
// rescale) against reading the same files' bytes and nothing else, from the page cache (warm:
// the parser's cost laid bare) and from the disk (cold: what a cohort run meets).
void bench_dicom_series(const Settings& s, const fs::path& dir) {
  const Volume v = phantom(s.size);
  const fs::path folder = dir / "series";
  const auto files = unetx::io::write_dicom_series(v, folder);
  const double mb = static_cast<double>(v.data.nbytes()) / 1e6;
  Volume sink;
  const auto assemble = [&] { sink = unetx::io::read_dicom(folder).volume; };
  const auto read_bytes = [&] {
    for (const auto& f : files) {
      if (unetx::io::read_file_bytes(f).size == 0) std::abort();
    }
  };
  const auto cold = [&] { evict(files); };
  const double t_read = best_seconds(1, s.iters, assemble);
  if (!at::equal(sink.data, v.data)) std::printf("  WARNING: DICOM read differs from written\n");
  // The two steps of read_dicom apart: the scan parses every file's head; the series read
  // then only reads pixel bytes (the heads say where they are).
  unetx::io::DicomScan scan;
  const double t_scan =
      best_seconds(1, s.iters, [&] { scan = unetx::io::scan_dicom_folder(folder); });
  const double t_series = best_seconds(
      1, s.iters, [&] { sink = unetx::io::read_dicom_series(scan.series.at(0)).volume; });
  const double t_bytes = best_seconds(1, s.iters, read_bytes);
  const double t_read_cold = best_seconds_after(s.iters, cold, assemble);
  const double t_bytes_cold = best_seconds_after(s.iters, cold, read_bytes);
  std::printf("\n(c) DICOM series of %zu files (%.1f MB of voxels), MB/s of voxels:\n", files.size(),
              mb);
  std::printf("  page cache: unetx %.0f, reading the files' bytes alone %.0f; assembly takes %.2fx "
              "the file read\n",
              mb / t_read, mb / t_bytes, t_read / t_bytes);
  std::printf("              the scan (every file's head parsed) takes %.2fx the file read, the "
              "series read after it %.2fx\n",
              t_scan / t_bytes, t_series / t_bytes);
  std::printf("  from disk:  unetx %.0f, reading the files' bytes alone %.0f; assembly takes %.2fx "
              "the file read\n",
              mb / t_read_cold, mb / t_bytes_cold, t_read_cold / t_bytes_cold);
  // The same read on one thread (files parsed one after another, still read ahead), against
  // the same baselines: what the parallel parse and decode buy.
  at::set_num_threads(1);
  const double t_one = best_seconds(1, s.iters, assemble);
  const double t_one_cold = best_seconds_after(s.iters, cold, assemble);
  at::set_num_threads(s.threads);
  std::printf("  1 thread:   assembly takes %.2fx the file read from the page cache, %.2fx from "
              "disk; %d threads are %.2fx and %.2fx faster\n",
              t_one / t_bytes, t_one_cold / t_bytes_cold, s.threads, t_one / t_read,
              t_one_cold / t_read_cold);
}

}  // namespace

int main(int argc, char** argv) {
  unetx::pipeline::tune_allocator();  // as the program runs
  Settings s;
  if (!parse(argc, argv, s)) {
    std::printf(
        "usage: %s [--threads N] [--quick] [--iters N] [--size N]\n"
        "  --threads N  intra-op threads (default: SLURM_CPUS_PER_TASK, else all cores: %d)\n"
        "  --quick      1 timed iteration on a 128^3 volume (smoke test)\n"
        "  --iters N    timed iterations per measurement, best is reported (default 3)\n"
        "  --size N     volume edge in voxels (default 256)\n",
        argv[0], unetx::pipeline::default_threads());
    return 2;
  }
  at::set_num_threads(s.threads);
  const fs::path dir = fs::temp_directory_path() / ("unetx-bench-io-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::printf("bench_io: %d intra-op threads, best of %d timed iterations after 1 warm-up\n",
              s.threads, s.iters);
  bench_nifti(s, dir);
  bench_preprocess(s, dir);

  bench_dicom_series(s, dir);

  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}
