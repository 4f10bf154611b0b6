#include "models/monofractal.h"

#include <cmath>
#include <stdexcept>

namespace unetx::models {

const std::vector<int64_t>& monofractal_radii() {
  static const std::vector<int64_t> radii = {2, 4, 8};
  return radii;
}

torch::Tensor box_sum(const torch::Tensor& x, int64_t radius) {
  torch::Tensor out = x;
  for (int64_t d = 2; d < x.dim(); ++d) {
    const int64_t n = out.size(d);
    auto front = out.new_zeros([&] {
      auto s = out.sizes().vec();
      s[d] = radius + 1;  // one extra zero so that prefix[i] is the sum before position i
      return s;
    }());
    auto back = out.new_zeros([&] {
      auto s = out.sizes().vec();
      s[d] = radius;
      return s;
    }());
    const auto prefix = torch::cat({front, out, back}, d).cumsum(d);
    out = prefix.narrow(d, 2 * radius + 1, n) - prefix.narrow(d, 0, n);
  }
  return out;
}

torch::Tensor singularity_exponent(const torch::Tensor& measure,
                                   const std::vector<int64_t>& radii) {
  if (radii.size() < 2) throw std::invalid_argument("singularity_exponent needs >= 2 radii");
  std::vector<double> lx;
  double mean_x = 0.0;
  for (int64_t r : radii) {
    lx.push_back(std::log(2.0 * r + 1.0));
    mean_x += lx.back() / radii.size();
  }
  double sxx = 0.0;
  for (double v : lx) sxx += (v - mean_x) * (v - mean_x);
  std::vector<torch::Tensor> logs;
  for (int64_t r : radii) logs.push_back(torch::log(box_sum(measure, r) + 1e-6));
  torch::Tensor mean_y = logs[0] / static_cast<double>(radii.size());
  for (size_t i = 1; i < logs.size(); ++i) mean_y = mean_y + logs[i] / static_cast<double>(radii.size());
  torch::Tensor sxy = torch::zeros_like(mean_y);
  for (size_t i = 0; i < logs.size(); ++i) sxy = sxy + (lx[i] - mean_x) * (logs[i] - mean_y);
  return sxy / sxx;
}

MonofractalImpl::MonofractalImpl(int64_t channels, int64_t reduction) {
  bn_ = register_module("bn", torch::nn::BatchNorm1d(channels));
  mlp_ = register_module("mlp", ChannelMlp(channels, reduction));
}

torch::Tensor MonofractalImpl::forward(const torch::Tensor& x, std::vector<Excitation>* out) {
  if (is_training() && x.size(0) < 2) {
    throw std::invalid_argument("se 'monofractal' batch-normalizes over the batch: training "
                                "needs batch size >= 2, got 1");
  }
  const auto alpha = singularity_exponent(x.abs()).flatten(2).mean(2);
  auto gate = as_channel_gate(mlp_->forward(bn_->forward(alpha)), x.dim());
  if (out) out->push_back({"", gate});
  return x * gate;
}

}  // namespace unetx::models
