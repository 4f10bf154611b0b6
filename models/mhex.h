// MHEX+ decoder module of EU-Net ("Multi-Head EXplainer"-style head on a decoder stage: an
// attention gate, a deep-supervision output and an equivalent linear kernel for class activation
// maps). For decoder features F (B, C, spatial...) with C channels, hidden width m and K classes:
//   h      = ReLU(conv_a(F))            conv_a: 1^D, C -> m
//   gate   = sigmoid(conv_g(h))         conv_g: 1^D, m -> 1, one gate per voxel in (0, 1)
//   logits = conv_b(h)                  conv_b: 1^D, m -> K, the deep-supervision output
//   out    = F * (1 + gate)             passed on to the next decoder level
// Equivalent kernel: with the ReLU omitted, conv_b(conv_a(F)) is one 1^D convolution with weight
// W_b W_a (K x C) and bias W_b b_a + b_b; applied to F it gives the class activation maps
// ("mhex.i.cam" taps).
// Choices: the gate acts residually (1 + gate) so a closed gate cannot cut the decoder path; the
// gate is computed from the hidden features h (shared with the deep-supervision branch), which
// keeps the extra parameters per level at C m + m + m + 1 + m K + K.
#pragma once

#include <torch/torch.h>

#include "models/layers.h"

namespace unetx::models {

template <int D>
class MhexImpl : public torch::nn::Module {
 public:
  MhexImpl(int64_t channels, int64_t hidden, int64_t num_classes);

  struct Output {
    torch::Tensor features;  // F * (1 + gate), same shape as F
    torch::Tensor gate;      // (B, 1, spatial...)
    torch::Tensor logits;    // (B, K, spatial...), only when asked for
  };
  Output forward(const torch::Tensor& features, bool with_logits);

  // {weight (K, C, 1...), bias (K)} of the equivalent single convolution (ReLU omitted).
  std::pair<torch::Tensor, torch::Tensor> equivalent_kernel() const;
  // Class activation maps: the equivalent convolution applied to `features`.
  torch::Tensor cam(const torch::Tensor& features) const;
  // The two convolutions without the ReLU, for checking the equivalent kernel.
  torch::Tensor linear_composition(const torch::Tensor& features);

  double flops(double voxels, bool with_logits) const;

 private:
  int64_t channels_, hidden_, classes_;
  typename Layers<D>::Conv conv_a_{nullptr}, conv_g_{nullptr}, conv_b_{nullptr};
};

template <int D>
class Mhex : public torch::nn::ModuleHolder<MhexImpl<D>> {
 public:
  using torch::nn::ModuleHolder<MhexImpl<D>>::ModuleHolder;
};

extern template class MhexImpl<2>;
extern template class MhexImpl<3>;

}  // namespace unetx::models
