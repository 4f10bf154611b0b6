#include "models/attribution_mode.h"

#include <stdexcept>
#include <string>

namespace unetx::models {
namespace {

struct ThreadState {
  AttributionMode mode = AttributionMode::off;
  std::vector<torch::Tensor> references;
  size_t next = 0;
};

ThreadState& state() {
  thread_local ThreadState s;
  return s;
}

torch::Tensor leaky_derivative(const torch::Tensor& x, double slope) {
  return torch::ones_like(x).masked_fill_(x <= 0, slope);
}

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct GuidedLeakyReLU : public torch::autograd::Function<GuidedLeakyReLU> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, double slope) {
    ctx->save_for_backward({x});
    ctx->saved_data["slope"] = slope;
    return torch::leaky_relu(x, slope);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad) {
    const torch::Tensor x = ctx->get_saved_variables()[0];
    const double slope = ctx->saved_data["slope"].toDouble();
    return {grad[0].clamp_min(0) * leaky_derivative(x, slope), torch::Tensor()};
  }
};

// The multiplier is fixed in the forward pass: it depends on x and x_ref only.
struct RescaleLeakyReLU : public torch::autograd::Function<RescaleLeakyReLU> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& ref, double slope) {
    const torch::Tensor y = torch::leaky_relu(x, slope);
    const torch::Tensor delta = x - ref;
    const torch::Tensor secant = (y - torch::leaky_relu(ref, slope)) / delta;
    ctx->save_for_backward(
        {torch::where(delta.abs() > 1e-6, secant, leaky_derivative(x, slope))});
    return y;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grad) {
    return {grad[0] * ctx->get_saved_variables()[0], torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

AttributionModeGuard::AttributionModeGuard(AttributionMode mode) : previous_(state().mode) {
  ThreadState& s = state();
  s.mode = mode;
  if (mode == AttributionMode::reference) s.references.clear();
  s.next = 0;
}

AttributionModeGuard::~AttributionModeGuard() {
  ThreadState& s = state();
  s.mode = previous_;
  s.next = 0;
  // Reference activations are as large as a whole forward pass; keep them only while a rescale
  // pass may still need them.
  if (previous_ == AttributionMode::off) s.references.clear();
}

AttributionMode attribution_mode() { return state().mode; }

torch::Tensor attribution_leaky_relu(const torch::Tensor& x, double negative_slope) {
  ThreadState& s = state();
  switch (s.mode) {
    case AttributionMode::off:
      return torch::leaky_relu(x, negative_slope);
    case AttributionMode::guided:
      return GuidedLeakyReLU::apply(x, negative_slope);
    case AttributionMode::reference:
      s.references.push_back(x.detach());
      return torch::leaky_relu(x, negative_slope);
    case AttributionMode::rescale: {
      if (s.next >= s.references.size() || s.references[s.next].sizes() != x.sizes()) {
        throw std::logic_error("DeepLIFT: activation " + std::to_string(s.next) +
                               " has no reference of its shape; run the reference pass first");
      }
      return RescaleLeakyReLU::apply(x, s.references[s.next++], negative_slope);
    }
  }
  return torch::leaky_relu(x, negative_slope);
}

}  // namespace unetx::models
