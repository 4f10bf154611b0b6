// One optimizer step of segmentation training, shared by the trainer and bench_train so the
// benchmark times exactly what training runs.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "models/segmentation_model.h"

namespace unetx::pipeline {

// Loss over every output of forward_deep_supervision: weights 1, 1/2, 1/4, ... normalised to sum
// to 1 (a model without auxiliary heads has one output, weight 1). Outputs are cast to float32
// first, so a bf16 forward still gets a float32 loss.
torch::Tensor supervised_loss(const std::string& loss, const std::vector<torch::Tensor>& outputs,
                              const torch::Tensor& target);

// zero_grad, forward (under bf16 autocast when asked) with the supervised loss, backward, then
// `after_backward` (e.g. averaging gradients over ranks), then the optimizer step. x and y must
// be on the model's device. Returns the loss.
double training_step(models::SegmentationModel& model, torch::optim::Optimizer& optimizer,
                     const std::string& loss, const torch::Tensor& x, const torch::Tensor& y,
                     bool bf16, const std::function<void()>& after_backward = {});

}  // namespace unetx::pipeline
