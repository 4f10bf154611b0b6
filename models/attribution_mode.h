// The one hook attribution methods need inside the networks: the U-Net stage activation
// (LeakyReLU) whose backward pass can be swapped, per thread, for the rule of guided
// backpropagation or of DeepLIFT. The forward value never changes, and with the mode off (the
// default, and always outside an explanation) the module is exactly nn::LeakyReLU. The module
// has no parameters, so checkpoints read the same with or without it.
//
// Why a thread-local mode and not a model flag: a method switches the rule for one forward +
// backward only, on whatever network it was handed, without the network knowing about xai/.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace unetx::models {

enum class AttributionMode {
  off,      // ordinary gradient
  guided,   // guided backprop: dx = ReLU(dy) * f'(x); negative gradients never pass
  rescale,  // DeepLIFT rescale rule: dx = dy * (f(x) - f(x_ref)) / (x - x_ref), x_ref from the
            // reference pass (f'(x) where |x - x_ref| < 1e-6)
  reference,  // records each activation's input x_ref (in call order) for a later rescale pass
};

// Sets the mode of the calling thread for its lifetime and restores the previous mode after.
// Entering `reference` clears the recorded inputs; entering `rescale` rewinds to the first.
class AttributionModeGuard {
 public:
  explicit AttributionModeGuard(AttributionMode mode);
  ~AttributionModeGuard();
  AttributionModeGuard(const AttributionModeGuard&) = delete;
  AttributionModeGuard& operator=(const AttributionModeGuard&) = delete;

 private:
  AttributionMode previous_;
};

AttributionMode attribution_mode();

// LeakyReLU(x) = x for x > 0, slope x otherwise, with the backward rule of the current mode.
// In `rescale` mode the k-th call of the pass uses the k-th input recorded in `reference` mode,
// which must have the same shape (same network, same batch shape); otherwise it throws
// std::logic_error.
torch::Tensor attribution_leaky_relu(const torch::Tensor& x, double negative_slope);

// nn::LeakyReLU with the hook above; used by make_stage (unet_parts.h).
class AttributionLeakyReLUImpl : public torch::nn::Module {
 public:
  explicit AttributionLeakyReLUImpl(double negative_slope = 0.01) : slope_(negative_slope) {}
  torch::Tensor forward(const torch::Tensor& x) { return attribution_leaky_relu(x, slope_); }

 private:
  double slope_;
};
TORCH_MODULE(AttributionLeakyReLU);

}  // namespace unetx::models
