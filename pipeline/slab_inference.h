// Inference of large volumes within a memory budget. The class probabilities of a whole CT
// (512 x 512 x 1000 voxels, K classes, float32: 1 GB per class, and the whole-volume path holds
// several such volumes) need not exist at once: windows are blended into a band of z rows that
// moves down the volume, each plan-grid slab is finished once every window touching it has been
// blended, then mapped to the original grid and reduced to the uint8 label map right away.
//
// The windows are those of the whole-volume path (same grid, same order, same batches), so the
// plan-grid probabilities agree bit for bit and the original-grid ones up to float rounding of
// the resampling order. Each window is computed once: no overlap between slabs is recomputed.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <filesystem>
#include <functional>

#include "pipeline/case_prep.h"
#include "pipeline/sliding_window.h"

namespace unetx::pipeline {

// Like sliding_window, but only a band of `band_rows` (padded plan-grid) z rows of blended output
// is kept (at least the window's z extent is used). emit(z0, slab) receives the finished rows
// [z0, z0 + slab.size(1)) of the (K, Z, Y, X) result, each row exactly once, in increasing z.
void sliding_window_slabs(const at::Tensor& image, int64_t out_channels,
                          const SlidingWindowOptions& options, int64_t band_rows,
                          const WindowFn& fn,
                          const std::function<void(int64_t z0, const at::Tensor& slab)>& emit);

// Estimated peak bytes of the whole-volume path for `pc` with `classes` outputs: the blended
// accumulator, the probabilities on the plan grid, their resampled copy on the original grid and
// the resampling's intermediate (4 bytes per value). The image itself is not counted.
double whole_volume_bytes(const PreparedCase& pc, int64_t classes,
                          const SlidingWindowOptions& options);

// The band (plan-grid z rows) that keeps slab-wise inference of `pc` within about `budget_bytes`
// of probability buffers; never less than the window's z extent, whatever the budget.
int64_t band_rows_for_budget(const PreparedCase& pc, int64_t classes,
                             const SlidingWindowOptions& options, double budget_bytes);

// Whether predict_slabs also returns the class probabilities on the original grid, and where
// they live: in memory, or (scratch_dir set) in an unnamed file mapping there, which the kernel
// pages to disk, so the probabilities of a CT far beyond the memory budget can still be saved.
struct ProbabilityOutput {
  bool keep = false;
  std::filesystem::path scratch_dir;  // empty: in memory
};

struct SlabPrediction {
  at::Tensor labels;          // (1, Z0, Y0, X0) uint8 argmax on the original grid
  at::Tensor probs_original;  // (K, Z0, Y0, X0) float32; only when asked for, else undefined
  int slabs = 0;              // plan-grid slabs emitted
};

// The prediction of a prepared case slab by slab: fn gives per-window class probabilities
// (B, K, window), which are blended, mapped to the original grid (linear, as
// restore_to_original: background outside the case's crop box) and reduced to labels (as
// labels_volume) one slab at a time.
SlabPrediction predict_slabs(const PreparedCase& pc, int64_t classes,
                             const SlidingWindowOptions& options, int64_t band_rows,
                             const WindowFn& fn, const ProbabilityOutput& probabilities);

}  // namespace unetx::pipeline
