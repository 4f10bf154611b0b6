// Uncertainty from predictive distributions: entropy, and Monte Carlo dropout (Gal &
// Ghahramani, 2016) with the BALD mutual information (Houlsby et al., 2011).
#pragma once

#include <ATen/ATen.h>

#include <functional>

namespace unetx::xai {

// Voxelwise predictive entropy in nats, -sum_k p_k ln p_k, with 0 ln 0 := 0.
// probs: (K, spatial...) summing to 1 over K -> (1, spatial...) float32, in [0, ln K].
at::Tensor entropy(const at::Tensor& probs);

struct McDropoutResult {
  at::Tensor mean_probs;          // (K, spatial...) float32: mean over the samples
  at::Tensor entropy;             // (1, spatial...): entropy(mean_probs), total uncertainty
  at::Tensor mutual_information;  // (1, spatial...): entropy(mean) - mean(entropy(sample)),
                                  // the epistemic part (BALD); clamped at 0 against rounding
  double mean_entropy = 0.0;      // mean of `entropy` over all the case's voxels
};

// Calls sample_probs() `samples` times; each call returns (K, spatial...) probabilities of one
// stochastic forward (the caller switches dropout on, e.g. models::set_mc_dropout, and stitches
// windows). Only running sums are kept, so memory is that of O(1) samples whatever `samples`
// is. The calls run under NoGradGuard. Throws unetx::Error when samples < 1 or the samples'
// shapes differ.
McDropoutResult mc_dropout(const std::function<at::Tensor()>& sample_probs, int samples);

// Mean of `map` over the voxels where `mask` is non-zero; all voxels when `mask` is undefined.
// `mask` must have as many elements as `map` (e.g. map (1, Z, Y, X), mask (Z, Y, X)). An empty
// mask gives NaN, so a case with nothing segmented is not mistaken for a certain one.
double mean_over(const at::Tensor& map, const at::Tensor& mask = at::Tensor());

}  // namespace unetx::xai
