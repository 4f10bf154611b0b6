#include "xai/grad_cam.h"

#include <torch/torch.h>

#include <algorithm>
#include <vector>

#include "io/error.h"
#include "xai/gradients.h"
#include "xai/targets.h"

namespace unetx::xai {
namespace {

namespace F = torch::nn::functional;

// Taps hold the whole forward's activations; recording must never outlive the explanation.
class TapRecording {
 public:
  explicit TapRecording(models::SegmentationModel& model) : model_(model) {
    model_.record_taps(true);
  }
  ~TapRecording() { model_.record_taps(false); }
  TapRecording(const TapRecording&) = delete;
  TapRecording& operator=(const TapRecording&) = delete;

 private:
  models::SegmentationModel& model_;
};

void check_tap(const models::SegmentationModel& model, const std::string& tap) {
  const std::vector<std::string> names = model.tap_names();
  if (std::find(names.begin(), names.end(), tap) != names.end()) return;
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  throw Error("--layer " + tap, "unknown tap; available: " + (list.empty() ? "(none)" : list));
}

}  // namespace

at::Tensor upsample_map(const at::Tensor& cam, at::IntArrayRef size) {
  if (cam.sizes().slice(2) == size) return cam;
  auto options = F::InterpolateFuncOptions()
                     .size(std::vector<int64_t>(size.begin(), size.end()))
                     .align_corners(false);
  switch (size.size()) {
    case 1:
      options.mode(torch::kLinear);
      break;
    case 2:
      options.mode(torch::kBilinear);
      break;
    case 3:
      options.mode(torch::kTrilinear);
      break;
    default:
      throw Error("grad_cam", "only 1-3 spatial dimensions can be upsampled");
  }
  return F::interpolate(cam, options);
}

at::Tensor grad_cam(models::SegmentationModel& model, const at::Tensor& input,
                    const std::string& tap, const Objective& obj) {
  check_tap(model, tap);
  if (input.dim() < 3) throw Error("grad_cam", "input must be (B, C, spatial...)");
  torch::AutoGradMode grad_on(true);
  TapRecording recording(model);

  // A leaf that requires grad makes every tap differentiable even when the model's
  // parameters are frozen (or the tap is the input itself).
  const at::Tensor x = input.detach().to(model_device(model)).requires_grad_(true);
  const at::Tensor logits = model.forward(x);
  const auto it = model.taps().find(tap);
  if (it == model.taps().end()) {
    throw Error("--layer " + tap, "the model declares this tap but did not record it");
  }
  const at::Tensor activation = it->second;
  if (activation.dim() < 3 || activation.size(0) != input.size(0)) {
    throw Error("--layer " + tap, "tap is not a (B, K, spatial...) feature map");
  }
  if (!activation.requires_grad()) {
    throw Error("--layer " + tap, "tap is detached from the graph; no gradient flows to it");
  }

  const at::Tensor score = obj.scores(logits).sum();
  at::Tensor grad = torch::autograd::grad({score}, {activation}, /*grad_outputs=*/{},
                                          /*retain_graph=*/false, /*create_graph=*/false,
                                          /*allow_unused=*/true)[0];
  if (!grad.defined()) grad = at::zeros_like(activation);

  torch::NoGradGuard no_grad;
  const at::Tensor a = activation.detach().to(at::kFloat);
  std::vector<int64_t> space(static_cast<size_t>(a.dim() - 2));
  for (size_t i = 0; i < space.size(); ++i) space[i] = static_cast<int64_t>(i) + 2;
  const at::Tensor alpha = grad.to(at::kFloat).mean(space, /*keepdim=*/true);
  const at::Tensor cam = (alpha * a).sum(1, /*keepdim=*/true).relu();
  return upsample_map(cam, input.sizes().slice(2)).to(input.device()).contiguous();
}

at::Tensor grad_cam(models::SegmentationModel& model, const at::Tensor& input,
                    const std::string& tap, int64_t target_class) {
  Objective obj;
  obj.target_class = target_class;
  return grad_cam(model, input, tap, obj);
}

std::string default_cam_layer(const models::SegmentationModel& model) {
  const auto names = model.tap_names();
  if (std::find(names.begin(), names.end(), "decoder.1") != names.end()) return "decoder.1";
  return "decoder.0";
}

std::vector<std::string> stage_taps(const models::SegmentationModel& model) {
  std::vector<std::string> stages;
  for (const auto& n : model.tap_names()) {
    if (n.rfind("encoder.", 0) == 0 || n.rfind("decoder.", 0) == 0 || n == "bottleneck") {
      stages.push_back(n);
    }
  }
  return stages;
}

at::Tensor gradcam_method(models::SegmentationModel& model, const at::Tensor& x, const at::Tensor&,
                          const Objective& obj, const MethodOptions& options) {
  return grad_cam(model, x, options.layer.empty() ? default_cam_layer(model) : options.layer, obj);
}

at::Tensor guided_gradcam(models::SegmentationModel& model, const at::Tensor& x,
                          const at::Tensor& baseline, const Objective& obj,
                          const MethodOptions& options) {
  // Both factors must explain the same region: fix it once.
  const Objective fixed = fix_region(model, x, obj);
  return guided_backprop(model, x, baseline, fixed, options) *
         gradcam_method(model, x, baseline, fixed, options);
}

at::Tensor normalize_map(const at::Tensor& m) {
  const at::Tensor v = m.detach().to(at::kFloat).clamp_min(0);
  if (v.numel() == 0) return v;
  const double top = v.max().item<double>();
  return top > 0 ? v / top : at::zeros_like(v);
}

}  // namespace unetx::xai
