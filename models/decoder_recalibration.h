// Decoder-guided Recalibration Attention (DRA) of UDTransNet (Wang et al., Neural Networks 2024):
// before a decoder stage concatenates its skip, the upsampled decoder feature u decides how the
// skip's channels are mixed (channel-wise cross attention, the decoder as the query).
//   q = W_q u, k = W_k s, v = W_v s          (1^D maps, C -> C, on (B, C, M voxels))
//   A = softmax_j( tau * cos(q_c, k_j) )     (B, C, C): decoder channel c attends to skip channel j
//   out = s + W_o (A v)
// Choices: cosine similarity with a learned temperature tau (init 10) instead of a dot product
// scaled by sqrt(M), so the attention does not sharpen with the patch size; a residual output so
// the block starts close to the plain skip. Dimension-free: works on any spatial rank.
#pragma once

#include <torch/torch.h>

namespace unetx::models {

class DecoderRecalibrationImpl : public torch::nn::Module {
 public:
  explicit DecoderRecalibrationImpl(int64_t channels);
  // up, skip: (B, C, spatial...) of equal shape. Returns {recalibrated skip, attention (B, C, C)}.
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& up,
                                                  const torch::Tensor& skip);
  double flops(double voxels) const;

 private:
  int64_t channels_;
  torch::nn::Linear query_{nullptr}, key_{nullptr}, value_{nullptr}, out_{nullptr};
  torch::Tensor log_temperature_;
};
TORCH_MODULE(DecoderRecalibration);

}  // namespace unetx::models
