#include "models/fca.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace unetx::models {

std::vector<std::vector<int64_t>> fca_frequencies(int dims) {
  if (dims == 2) {
    // FcaNet's top-16 (u, v) on the 7x7 grid, best first.
    const int64_t u[] = {0, 0, 6, 0, 0, 1, 1, 4, 5, 1, 3, 0, 0, 0, 3, 2};
    const int64_t v[] = {0, 1, 0, 5, 2, 0, 2, 0, 0, 6, 0, 4, 6, 3, 5, 2};
    std::vector<std::vector<int64_t>> out;
    for (int i = 0; i < 16; ++i) out.push_back({u[i], v[i]});
    return out;
  }
  if (dims == 3) {
    std::vector<std::vector<int64_t>> all;
    for (int64_t a = 0; a < kFcaGridSize; ++a)
      for (int64_t b = 0; b < kFcaGridSize; ++b)
        for (int64_t c = 0; c < kFcaGridSize; ++c) all.push_back({a, b, c});
    std::stable_sort(all.begin(), all.end(), [](const auto& p, const auto& q) {
      return p[0] + p[1] + p[2] < q[0] + q[1] + q[2];
    });
    all.resize(kFcaFrequencyGroups);
    return all;
  }
  throw std::invalid_argument("fca: dims must be 2 or 3, got " + std::to_string(dims));
}

torch::Tensor dct_basis(const std::vector<int64_t>& frequency, int64_t grid_size) {
  const auto i = torch::arange(grid_size, torch::kDouble) + 0.5;
  torch::Tensor basis;
  for (size_t axis = 0; axis < frequency.size(); ++axis) {
    auto c = torch::cos(M_PI * static_cast<double>(frequency[axis]) * i / grid_size);
    std::vector<int64_t> shape(frequency.size(), 1);
    shape[axis] = grid_size;
    c = c.view(shape);
    basis = basis.defined() ? basis * c : c;
  }
  return basis.to(torch::kFloat);
}

FcaImpl::FcaImpl(int64_t channels, int dims, int64_t reduction)
    : channels_(channels), dims_(dims) {
  const auto freqs = fca_frequencies(dims);
  const int64_t groups = std::min<int64_t>(kFcaFrequencyGroups, channels);
  std::vector<torch::Tensor> rows;
  for (int64_t c = 0; c < channels; ++c) {
    rows.push_back(dct_basis(freqs[c * groups / channels], kFcaGridSize).flatten());
  }
  // Divided by the grid volume: frequency (0,0) then is the global average itself, and the
  // squeezed values keep the scale of SE's (an unnormalized sum would saturate the sigmoid).
  const double volume = std::pow(static_cast<double>(kFcaGridSize), dims);
  basis_ = register_buffer("basis", torch::stack(rows) / volume);
  mlp_ = register_module("mlp", ChannelMlp(channels, reduction));
}

torch::Tensor FcaImpl::spectral_pool(const torch::Tensor& x) const {
  torch::Tensor pooled = dims_ == 2 ? torch::adaptive_avg_pool2d(x, {kFcaGridSize, kFcaGridSize})
                                    : torch::adaptive_avg_pool3d(
                                          x, {kFcaGridSize, kFcaGridSize, kFcaGridSize});
  return (pooled.flatten(2) * basis_.to(x.dtype())).sum(2);
}

torch::Tensor FcaImpl::forward(const torch::Tensor& x, std::vector<Excitation>* out) {
  if (x.dim() != dims_ + 2) {
    throw std::invalid_argument("fca: built for " + std::to_string(dims_) +
                                "-D features, got rank " + std::to_string(x.dim()));
  }
  auto gate = as_channel_gate(mlp_->forward(spectral_pool(x)), x.dim());
  if (out) out->push_back({"", gate});
  return x * gate;
}

double FcaImpl::flops(double) const {
  return 2.0 * channels_ * static_cast<double>(basis_.size(1)) + mlp_->flops();
}

}  // namespace unetx::models
