#include "pipeline/training_step.h"

#include <cmath>

#include "pipeline/inference.h"
#include "pipeline/losses.h"

namespace unetx::pipeline {

torch::Tensor supervised_loss(const std::string& loss, const std::vector<torch::Tensor>& outputs,
                              const torch::Tensor& target) {
  double norm = 0.0;
  for (size_t i = 0; i < outputs.size(); ++i) norm += std::ldexp(1.0, -static_cast<int>(i));
  torch::Tensor total;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const double w = std::ldexp(1.0, -static_cast<int>(i)) / norm;
    torch::Tensor term = w * training_loss(loss, outputs[i].to(torch::kFloat32), target);
    total = total.defined() ? total + term : term;
  }
  return total;
}

double training_step(models::SegmentationModel& model, torch::optim::Optimizer& optimizer,
                     const std::string& loss, const torch::Tensor& x, const torch::Tensor& y,
                     bool bf16, const std::function<void()>& after_backward) {
  optimizer.zero_grad();
  torch::Tensor value;
  {
    Bf16Autocast autocast(bf16);
    value = supervised_loss(loss, model.forward_deep_supervision(x), y);
  }
  value.backward();
  if (after_backward) after_backward();
  optimizer.step();
  return value.item<double>();
}

}  // namespace unetx::pipeline
