// A two-layer convolutional SegmentationModel whose only nonlinearity is the models' stage
// activation (attribution_leaky_relu), for the xai tests of guided backprop, DeepLIFT and IG:
//   a      = conv 3x3 (pad 1) of x, C -> H        tap "hidden"  (pre-activation)
//   h      = LeakyReLU(a, slope)                  tap "act"
//   logits = conv 1x1 of h, H -> K
#pragma once

#include <torch/torch.h>

#include "models/attribution_mode.h"
#include "models/segmentation_model.h"

namespace unetx::xai::testing {

class ConvReluModel : public models::SegmentationModel {
 public:
  ConvReluModel(int64_t in, int64_t hidden, int64_t classes, double slope, uint64_t seed)
      : slope_(slope) {
    torch::manual_seed(seed);
    w1_ = register_parameter("w1", torch::randn({hidden, in, 3, 3}) * 0.5);
    b1_ = register_parameter("b1", torch::randn({hidden}) * 0.1);
    w2_ = register_parameter("w2", torch::randn({classes, hidden, 1, 1}));
    b2_ = register_parameter("b2", torch::randn({classes}) * 0.1);
  }

  torch::Tensor forward(torch::Tensor x) override {
    const at::Tensor a = at::conv2d(x, w1_, b1_, 1, 1);
    tap("hidden", a);
    const at::Tensor h = models::attribution_leaky_relu(a, slope_);
    tap("act", h);
    return at::conv2d(h, w2_, b2_);
  }

  int spatial_dims() const override { return 2; }
  int64_t in_channels() const override { return w1_.size(1); }
  int64_t num_classes() const override { return w2_.size(0); }
  int64_t size_divisor() const override { return 1; }
  nlohmann::json config() const override { return {{"name", "conv_relu"}}; }
  std::vector<std::string> tap_names() const override { return {"hidden", "act"}; }

 private:
  double slope_;
  at::Tensor w1_, b1_, w2_, b2_;
};

}  // namespace unetx::xai::testing
