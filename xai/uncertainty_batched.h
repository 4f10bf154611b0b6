// Sample statistics (MC dropout, test-time augmentation) in one sliding-window loop: the samples
// of a window are predicted as one batch, reduced to their statistics inside the window, and only
// those are blended with the Gaussian window weights. Memory is O(K x volume) whatever the number
// of samples, and the image is tiled once instead of once per sample.
//
// Definition (the same as SampleStatistics wherever one window covers a voxel): per window,
// mean class probabilities m, the BALD mutual information H(m) - mean_t H(p_t) and the class-
// averaged population variance over the samples; the volume maps are the Gaussian-weighted means
// of these over the windows covering each voxel, entropy = H(blended m). Where windows overlap,
// a sample is one window's prediction, so windows' disagreement with each other does not count
// as uncertainty. Sample t's predicted volume is sum over voxels of the weighted share of the
// covering windows whose sample t predicts foreground there: the voxel count with one window.
#pragma once

#include <ATen/ATen.h>

#include <functional>

#include "pipeline/sliding_window.h"
#include "xai/uncertainty.h"

namespace unetx::xai {

// Predicts samples [first, first + count) of a batch of windows (B, C, spatial...): returns
// (count, B, K, spatial...) float32 class probabilities.
using SampleBatchFn =
    std::function<at::Tensor(const at::Tensor& windows, int first, int count)>;

// Statistics of samples (N, B, K, spatial...) of B windows: (B, K + 2, spatial...) float32, the
// mean probabilities (K), mutual information (1, >= 0) and variance (1). Welford over N, so
// identical samples give exactly zero mutual information and variance.
at::Tensor window_sample_statistics(const at::Tensor& samples);

// The statistics of `samples` predictions of image (C, Z, Y, X) on the plan grid, as defined
// above. `fn` is called once per batch of windows and chunk of at most `max_chunk` samples
// (>= 1), in sample order, under NoGradGuard. Throws unetx::Error when samples < 1 or fn returns
// the wrong shape.
SampleStatistics windowed_sample_statistics(const at::Tensor& image, int64_t classes,
                                            const pipeline::SlidingWindowOptions& options,
                                            int samples, int max_chunk, const SampleBatchFn& fn);

}  // namespace unetx::xai
