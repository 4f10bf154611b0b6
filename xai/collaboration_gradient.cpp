#include "xai/collaboration_gradient.h"

#include <torch/torch.h>

#include <algorithm>

#include "io/error.h"

namespace unetx::xai {
namespace {

namespace F = torch::nn::functional;

// Sum of x over each voxel's window^D neighbourhood, up to the constant 1 / window^D that
// cancels in the cosine.
at::Tensor window_mean(const at::Tensor& x, int64_t window) {
  const int64_t pad = window / 2;
  if (x.dim() == 4) return at::avg_pool2d(x, {window, window}, {1, 1}, {pad, pad});
  return at::avg_pool3d(x, {window, window, window}, {1, 1, 1}, {pad, pad, pad});
}

at::Tensor upsample_to(const at::Tensor& m, const at::Tensor& like) {
  std::vector<int64_t> size(like.sizes().begin() + 2, like.sizes().end());
  if (m.sizes().slice(2) == at::IntArrayRef(size)) return m;
  return F::interpolate(m, F::InterpolateFuncOptions().size(size).mode(torch::kNearest));
}

}  // namespace

std::vector<std::string> decoder_levels(const models::SegmentationModel& model) {
  const auto taps = model.tap_names();
  std::vector<std::string> levels;
  for (int i = 0;; ++i) {
    const std::string name = "decoder." + std::to_string(i);
    if (std::find(taps.begin(), taps.end(), name) == taps.end()) break;
    levels.push_back(name);
  }
  if (levels.size() < 2) {
    throw Error(model.config().value("name", std::string("model")),
                "the collaboration gradient needs a decoder pyramid (taps decoder.0, decoder.1, "
                "...); this network has " +
                    std::to_string(levels.size()) + " decoder level(s)");
  }
  return levels;
}

at::Tensor local_cosine(const at::Tensor& a, const at::Tensor& b, int64_t window) {
  if (a.sizes() != b.sizes() || a.dim() < 4 || a.dim() > 5 || a.size(1) != 1) {
    throw Error("local_cosine", "needs two (B, 1, spatial...) maps of one size");
  }
  if (window < 1 || window % 2 == 0) {
    throw Error("local_cosine", "window must be odd and >= 1, got " + std::to_string(window));
  }
  const at::Tensor x = a.to(at::kFloat), y = b.to(at::kFloat);
  const at::Tensor xy = window_mean(x * y, window);
  const at::Tensor norms = (window_mean(x * x, window) * window_mean(y * y, window)).sqrt();
  const at::Tensor cos = xy / norms.clamp_min(1e-30);
  return at::where(norms > 1e-30, cos, at::zeros_like(cos)).clamp(-1, 1);
}

at::Tensor collaboration_window(models::SegmentationModel& model, const at::Tensor& batch,
                                int64_t window) {
  const std::vector<std::string> levels = decoder_levels(model);
  torch::AutoGradMode grad_on(true);
  const auto params = model.parameters();
  const auto device = params.empty() ? torch::Device(torch::kCPU) : params[0].device();
  // An input that requires grad keeps the graph even for weights frozen by the caller.
  const at::Tensor x = batch.to(device).to(at::kFloat).detach().requires_grad_(true);
  model.record_taps(true);
  at::Tensor logits;
  std::vector<at::Tensor> acts;
  try {
    logits = model.forward(x).to(at::kFloat);
    for (const auto& name : levels) acts.push_back(model.taps().at(name));
  } catch (...) {
    model.record_taps(false);
    throw;
  }
  model.record_taps(false);
  const at::Tensor score = std::get<0>(logits.max(1)).sum();
  const auto grads = torch::autograd::grad({score}, acts, {}, false, false, true);
  std::vector<at::Tensor> maps;
  for (size_t i = 0; i < acts.size(); ++i) {
    const at::Tensor g = grads[i].defined() ? grads[i] : at::zeros_like(acts[i]);
    maps.push_back(upsample_to((g * acts[i].detach()).sum(1, true), x));
  }
  at::Tensor cos = at::zeros_like(maps[0]);
  for (size_t i = 0; i + 1 < maps.size(); ++i) cos += local_cosine(maps[i], maps[i + 1], window);
  cos.div_(static_cast<double>(maps.size() - 1));
  const at::Tensor probs = torch::softmax(logits.detach(), 1);
  return at::cat({probs, cos.clamp(-1, 1)}, 1).cpu();
}

}  // namespace unetx::xai
