// Monofractal recalibration: a channel attention whose squeeze is the local singularity
// (Hoelder) exponent of each feature map seen as a measure. Around voxel p the box measure
// mu_r(p) = sum of |x| over the box of radius r (side 2r + 1, zero outside the volume) scales as
// mu_r(p) ~ (2r + 1)^alpha(p); alpha(p) is the least-squares slope of log mu_r(p) against
// log(2r + 1) over r in R = {2, 4, 8}. A uniform measure has alpha = D everywhere, a point mass
// alpha = 0.
//
// Choices: the box side 2r + 1 (not r) is the regressor so that a uniform measure gives exactly
// D; |x| is the measure because features after LeakyReLU can be negative; a channel's
// descriptor is the spatial mean of alpha (one exponent per channel: the monofractal summary);
// then batch norm over channels (the exponents of different channels have very different
// ranges), the SE excitation MLP and a sigmoid. Box sums use prefix sums along each axis, so the
// cost does not grow with r.
#pragma once

#include <vector>

#include "models/recalibration.h"

namespace unetx::models {

// Radii of the box measures.
const std::vector<int64_t>& monofractal_radii();

// measure: (B, C, spatial...) >= 0. Returns alpha of the same shape (eps 1e-6 inside the log).
torch::Tensor singularity_exponent(const torch::Tensor& measure,
                                   const std::vector<int64_t>& radii = monofractal_radii());

// Sum of `x` over the box of radius r around every voxel (zero padding), same shape as x.
torch::Tensor box_sum(const torch::Tensor& x, int64_t radius);

class MonofractalImpl : public RecalibrationImpl {
 public:
  MonofractalImpl(int64_t channels, int64_t reduction);
  torch::Tensor forward(const torch::Tensor& x, std::vector<Excitation>* out) override;
  double flops(double voxels) const override { return mlp_->flops() + 0.0 * voxels; }

 private:
  torch::nn::BatchNorm1d bn_{nullptr};
  ChannelMlp mlp_{nullptr};
};

}  // namespace unetx::models
