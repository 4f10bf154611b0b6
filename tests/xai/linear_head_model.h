// A SegmentationModel small enough to differentiate by hand, for the xai tests:
//   features = stem · x            (1x1 "conv", stem is C x C)        tap "features"
//              then avg-pooled by `pool` (1 = none)
//   logits   = head · features + bias (1x1 "conv", head is K x C)    tap "head"
//              then nearest-upsampled by `pool` back to the input size.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "models/segmentation_model.h"

namespace unetx::xai::testing {

class LinearHeadModel : public models::SegmentationModel {
 public:
  LinearHeadModel(const at::Tensor& stem, const at::Tensor& head, const at::Tensor& bias,
                  int dims = 2, int64_t pool = 1)
      : dims_(dims), pool_(pool) {
    stem_ = register_parameter("stem_weight", stem.to(at::kFloat));
    head_ = register_parameter("head_weight", head.to(at::kFloat));
    bias_ = register_parameter("head_bias", bias.to(at::kFloat));
  }

  torch::Tensor forward(torch::Tensor x) override {
    at::Tensor a = conv1x1(stem_, x);
    if (pool_ > 1) {
      a = dims_ == 2 ? at::avg_pool2d(a, {pool_, pool_}) : at::avg_pool3d(a, {pool_, pool_, pool_});
    }
    tap("features", a);
    std::vector<int64_t> bias_shape(static_cast<size_t>(dims_ + 2), 1);
    bias_shape[1] = bias_.size(0);
    at::Tensor logits = conv1x1(head_, a) + bias_.view(bias_shape);
    tap("head", logits);
    for (int d = 2; d < dims_ + 2 && pool_ > 1; ++d) logits = logits.repeat_interleave(pool_, d);
    return logits;
  }

  int spatial_dims() const override { return dims_; }
  int64_t in_channels() const override { return stem_.size(1); }
  int64_t num_classes() const override { return head_.size(0); }
  int64_t size_divisor() const override { return pool_; }
  nlohmann::json config() const override { return {{"name", "linear_head"}}; }
  std::vector<std::string> tap_names() const override { return {"features", "head"}; }

 private:
  // (B, C, s...) -> (B, K, s...) with weights (K, C).
  static at::Tensor conv1x1(const at::Tensor& w, const at::Tensor& x) {
    return at::tensordot(x, w, {1}, {1}).movedim(-1, 1);
  }

  int dims_;
  int64_t pool_;
  at::Tensor stem_, head_, bias_;
};

// The worked example of test_grad_cam.cpp: identity stem, logit1 = x0 - 0.5 x1, logit0 = 2.
inline LinearHeadModel class1_linear_model() {
  return LinearHeadModel(at::eye(2), torch::tensor({{0.0, 0.0}, {1.0, -0.5}}),
                         torch::tensor({2.0, 0.0}));
}

// x0 = [[1,2,3],[4,5,6]], x1 = [[6,1,0],[2,0,3]] as (1, 2, 2, 3): with class1_linear_model,
// logit1 = [[-2,1.5,3],[3,5,4.5]] vs 2, so the predicted class-1 region is [[0,0,1],[1,1,1]].
inline at::Tensor sample_input() {
  return torch::tensor({1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 6.0, 1.0, 0.0, 2.0, 0.0, 3.0})
      .view({1, 2, 2, 3});
}

}  // namespace unetx::xai::testing
