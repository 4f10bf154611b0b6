#include "models/mhex.h"

#include "models/flops.h"

namespace unetx::models {

template <int D>
MhexImpl<D>::MhexImpl(int64_t channels, int64_t hidden, int64_t num_classes)
    : channels_(channels), hidden_(hidden), classes_(num_classes) {
  conv_a_ = this->register_module("conv_a", conv1<D>(channels, hidden));
  conv_g_ = this->register_module("conv_g", conv1<D>(hidden, 1));
  conv_b_ = this->register_module("conv_b", conv1<D>(hidden, num_classes));
}

template <int D>
typename MhexImpl<D>::Output MhexImpl<D>::forward(const torch::Tensor& features,
                                                  bool with_logits) {
  const auto h = torch::relu(conv_a_->forward(features));
  Output out;
  out.gate = torch::sigmoid(conv_g_->forward(h));
  out.features = features * (1.0 + out.gate);
  if (with_logits) out.logits = conv_b_->forward(h);
  return out;
}

template <int D>
std::pair<torch::Tensor, torch::Tensor> MhexImpl<D>::equivalent_kernel() const {
  const auto wa = conv_a_->weight.flatten(1);  // (m, C)
  const auto wb = conv_b_->weight.flatten(1);  // (K, m)
  std::vector<int64_t> shape = {classes_, channels_};
  shape.resize(D + 2, 1);
  return {torch::matmul(wb, wa).view(shape), torch::matmul(wb, conv_a_->bias) + conv_b_->bias};
}

template <int D>
torch::Tensor MhexImpl<D>::cam(const torch::Tensor& features) const {
  const auto [w, b] = equivalent_kernel();
  return Layers<D>::conv(features, w, b);
}

template <int D>
torch::Tensor MhexImpl<D>::linear_composition(const torch::Tensor& features) {
  return conv_b_->forward(conv_a_->forward(features));
}

template <int D>
double MhexImpl<D>::flops(double voxels, bool with_logits) const {
  return conv_flops(channels_, hidden_, 1.0, voxels) + conv_flops(hidden_, 1, 1.0, voxels) +
         (with_logits ? conv_flops(hidden_, classes_, 1.0, voxels) : 0.0);
}

template class MhexImpl<2>;
template class MhexImpl<3>;

}  // namespace unetx::models
