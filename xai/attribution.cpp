#include "xai/attribution.h"

#include <torch/torch.h>

namespace unetx::xai {

at::Tensor Objective::region_of(const at::Tensor& logits) const {
  if (region.defined()) return region;
  const at::Tensor r = predicted_region(logits, target_class);
  return border ? border_region(r) : r;
}

at::Tensor Objective::scores(const at::Tensor& logits) const {
  return sample_scores(logits, target_class, region_of(logits), reduce);
}

Objective Objective::repeated(int64_t copies) const {
  Objective o = *this;
  if (region.defined() && copies != 1) {
    std::vector<int64_t> reps(static_cast<size_t>(region.dim()), 1);
    reps[0] = copies;
    o.region = region.repeat(reps);
  }
  return o;
}

at::Device model_device(const models::SegmentationModel& model) {
  const auto params = model.parameters();
  return params.empty() ? at::Device(at::kCPU) : params.front().device();
}

Objective fix_region(models::SegmentationModel& model, const at::Tensor& x, const Objective& obj) {
  if (obj.region.defined()) return obj;
  torch::NoGradGuard no_grad;
  Objective o = obj;
  o.region = obj.region_of(model.forward(x));
  return o;
}

at::Tensor objective_values(models::SegmentationModel& model, const at::Tensor& x,
                            const Objective& obj) {
  torch::NoGradGuard no_grad;
  return obj.scores(model.forward(x)).to(at::kFloat);
}

std::pair<at::Tensor, at::Tensor> input_gradient(models::SegmentationModel& model,
                                                 const at::Tensor& x, const Objective& obj) {
  torch::AutoGradMode grad_on(true);
  const at::Tensor leaf = x.detach().requires_grad_(true);
  const at::Tensor f = obj.scores(model.forward(leaf));
  at::Tensor g = torch::autograd::grad({f.sum()}, {leaf}, {}, false, false, true)[0];
  if (!g.defined()) g = at::zeros_like(leaf);
  return {g.to(at::kFloat), f.detach().to(at::kFloat)};
}

}  // namespace unetx::xai
