// FCA: frequency channel attention (Qin et al., "FcaNet: Frequency Channel Attention Networks",
// ICCV 2021). Global average pooling is the lowest frequency of the 2-D DCT; FcaNet squeezes each
// channel group with a different DCT frequency instead (multi-spectral pooling), then applies
// the SE excitation MLP.
//
// Choices where the paper leaves room (or is 2-D only):
// - The feature map is first average-pooled adaptively to a fixed S^D grid, S = 7 (FcaNet's
//   7x7), so the basis does not depend on the input size (segmentation patches vary).
// - k = 16 frequency groups. 2-D: FcaNet's "top-16" frequencies on the 7x7 grid. 3-D extension:
//   the basis is the separable product of three 1-D DCT-II cosines, and the 16 frequencies are
//   the lowest ones by u+v+w (ties in lexicographic order), starting with (0,0,0).
// - Channel c uses frequency floor(c * G / C) with G = min(16, C) groups, so a narrow stage uses
//   the first C frequencies instead of failing on C % 16 != 0.
// - dct_basis is the unnormalized B_{u,v}(i,j) = cos(pi u (i + 1/2) / S) cos(pi v (j + 1/2) / S);
//   FCA divides it by S^D, so frequency (0,0) is exactly the global average (of the pooled map,
//   which equals the input's when its sizes are multiples of S) and the squeezed values keep
//   the scale of SE's.
#pragma once

#include <array>
#include <vector>

#include "models/recalibration.h"

namespace unetx::models {

inline constexpr int64_t kFcaGridSize = 7;
inline constexpr int64_t kFcaFrequencyGroups = 16;

// The frequencies FCA uses for a `dims`-D network, each of `dims` entries in [0, kFcaGridSize).
std::vector<std::vector<int64_t>> fca_frequencies(int dims);

// DCT-II basis of `frequency` (dims entries) on an S^dims grid, shape (S, ..., S).
torch::Tensor dct_basis(const std::vector<int64_t>& frequency, int64_t grid_size);

class FcaImpl : public RecalibrationImpl {
 public:
  FcaImpl(int64_t channels, int dims, int64_t reduction);
  torch::Tensor forward(const torch::Tensor& x, std::vector<Excitation>* out) override;
  double flops(double voxels) const override;
  // Multi-spectral pooling: (B, C, spatial...) -> (B, C), channel c projected on its frequency.
  torch::Tensor spectral_pool(const torch::Tensor& x) const;

 private:
  int64_t channels_;
  int dims_;
  torch::Tensor basis_;  // buffer (C, S^dims): the DCT basis of each channel's frequency
  ChannelMlp mlp_{nullptr};
};

}  // namespace unetx::models
