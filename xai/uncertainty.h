// Uncertainty from predictive distributions: entropy, and sample statistics of any stochastic or
// perturbed predictor: Monte Carlo dropout (Gal & Ghahramani, 2016), test-time augmentation,
// deep ensembles, with the BALD mutual information (Houlsby et al., 2011).
#pragma once

#include <ATen/ATen.h>

#include <functional>
#include <vector>

namespace unetx::xai {

// Voxelwise predictive entropy in nats, -sum_k p_k ln p_k, with 0 ln 0 := 0.
// probs: (K, spatial...) summing to 1 over K -> (1, spatial...) float32, in [0, ln K].
at::Tensor entropy(const at::Tensor& probs);

struct McDropoutResult {
  at::Tensor mean_probs;          // (K, spatial...) float32: mean over the samples
  at::Tensor entropy;             // (1, spatial...): entropy(mean_probs), total uncertainty
  at::Tensor mutual_information;  // (1, spatial...): entropy(mean) - mean(entropy(sample)),
                                  // the epistemic part (BALD); clamped at 0 against rounding
  at::Tensor variance;            // (1, spatial...): population variance over the samples of
                                  // each class probability, averaged over the K classes
  double mean_entropy = 0.0;      // mean of `entropy` over all the case's voxels
  // Per sample: voxels whose argmax over K is not class 0 (K == 1: probability >= 0.5), the
  // predicted volume in voxels, for its coefficient of variation.
  std::vector<double> foreground_voxels;
};
// The same statistics for samples that are not dropout masks (augmentations, ensemble members).
using SampleStatistics = McDropoutResult;

// Calls sample_probs() `samples` times; each call returns (K, spatial...) probabilities of one
// stochastic forward (the caller switches dropout on, e.g. models::set_mc_dropout, and stitches
// windows). Only running means are kept (Welford's update, so identical samples give exactly
// zero variance and mutual information), so memory is that of O(1) samples whatever `samples`
// is. The calls run under NoGradGuard. Throws unetx::Error when samples < 1 or the samples'
// shapes differ.
McDropoutResult mc_dropout(const std::function<at::Tensor()>& sample_probs, int samples);
// The same, named for samples of any kind.
SampleStatistics sample_statistics(const std::function<at::Tensor()>& sample_probs, int samples);

// Predicted foreground voxels of probabilities (K, spatial...): argmax != 0, or p >= 0.5 when
// K == 1.
double foreground_voxels(const at::Tensor& probs);

// Foreground mask of probabilities with the classes on `class_dim`: bool, that dim kept with
// size 1; true where argmax over the classes is not 0 (ties and a NaN class 0 are background, a
// NaN in a later class is foreground, as argmax has it), or p >= 0.5 when there is one class.
at::Tensor foreground_mask(const at::Tensor& probs, int64_t class_dim);

// Coefficient of variation (population standard deviation / mean) of per-sample volumes: 0 for
// fewer than two samples and when every volume is 0 (all samples agree on nothing).
double volume_cv(const std::vector<double>& volumes);

// Mean of `map` over the voxels where `mask` is non-zero; all voxels when `mask` is undefined.
// `mask` must have as many elements as `map` (e.g. map (1, Z, Y, X), mask (Z, Y, X)). An empty
// mask gives NaN, so a case with nothing segmented is not mistaken for a certain one.
double mean_over(const at::Tensor& map, const at::Tensor& mask = at::Tensor());

}  // namespace unetx::xai
