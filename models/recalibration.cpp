#include "models/recalibration.h"

#include <stdexcept>

#include "models/fca.h"
#include "models/monofractal.h"

namespace unetx::models {
namespace {

namespace nn = torch::nn;

std::vector<int64_t> spatial_axes(const torch::Tensor& x) {
  std::vector<int64_t> axes;
  for (int64_t d = 2; d < x.dim(); ++d) axes.push_back(d);
  return axes;
}

class ChannelSEImpl : public RecalibrationImpl {
 public:
  ChannelSEImpl(int64_t channels, int64_t reduction)
      : mlp_(register_module("mlp", ChannelMlp(channels, reduction))) {}
  torch::Tensor forward(const torch::Tensor& x, std::vector<Excitation>* out) override {
    auto gate = as_channel_gate(mlp_->forward(x.mean(spatial_axes(x))), x.dim());
    if (out) out->push_back({"", gate});
    return x * gate;
  }
  double flops(double) const override { return mlp_->flops(); }

 private:
  ChannelMlp mlp_;
};

// The 1^D convolution C -> 1 is written as a linear map over the channel axis so the block is
// independent of the spatial rank.
class SpatialSEImpl : public RecalibrationImpl {
 public:
  explicit SpatialSEImpl(int64_t channels)
      : channels_(channels), proj_(register_module("proj", nn::Linear(channels, 1))) {}
  torch::Tensor forward(const torch::Tensor& x, std::vector<Excitation>* out) override {
    auto gate = torch::sigmoid(proj_->forward(x.movedim(1, -1)).movedim(-1, 1));
    if (out) out->push_back({"", gate});
    return x * gate;
  }
  double flops(double voxels) const override { return 2.0 * channels_ * voxels; }

 private:
  int64_t channels_;
  nn::Linear proj_;
};

class ConcurrentSEImpl : public RecalibrationImpl {
 public:
  ConcurrentSEImpl(int64_t channels, int64_t reduction)
      : cse_(register_module("cse", std::make_shared<ChannelSEImpl>(channels, reduction))),
        sse_(register_module("sse", std::make_shared<SpatialSEImpl>(channels))) {}
  torch::Tensor forward(const torch::Tensor& x, std::vector<Excitation>* out) override {
    std::vector<Excitation> gates;
    // Two statements: the order of the gates must not depend on operand evaluation order.
    const auto channel = cse_->forward(x, &gates);
    auto y = channel + sse_->forward(x, &gates);
    if (out) {
      out->push_back({".channel", gates[0].gate});
      out->push_back({".spatial", gates[1].gate});
    }
    return y;
  }
  std::vector<std::string> excitation_suffixes() const override {
    return {".channel", ".spatial"};
  }
  double flops(double voxels) const override { return cse_->flops(voxels) + sse_->flops(voxels); }

 private:
  std::shared_ptr<ChannelSEImpl> cse_;
  std::shared_ptr<SpatialSEImpl> sse_;
};

class SrmImpl : public RecalibrationImpl {
 public:
  explicit SrmImpl(int64_t channels) : channels_(channels) {
    // Channel-wise fully connected: one (mean, std) weight pair per channel.
    cfc_ = register_parameter("cfc", torch::empty({channels, 2}).uniform_(-0.7, 0.7));
    bn_ = register_module("bn", nn::BatchNorm1d(channels));
  }
  torch::Tensor forward(const torch::Tensor& x, std::vector<Excitation>* out) override {
    if (is_training() && x.size(0) < 2) {
      throw std::invalid_argument("se 'srm' batch-normalizes over the batch: training needs "
                                  "batch size >= 2, got 1");
    }
    const auto flat = x.flatten(2);
    const auto mean = flat.mean(2);
    const auto std = (flat.var(2, /*unbiased=*/false) + 1e-5).sqrt();
    const auto z = mean * cfc_.select(1, 0) + std * cfc_.select(1, 1);
    auto gate = as_channel_gate(torch::sigmoid(bn_->forward(z)), x.dim());
    if (out) out->push_back({"", gate});
    return x * gate;
  }
  double flops(double) const override { return 4.0 * channels_; }

 private:
  int64_t channels_;
  torch::Tensor cfc_;
  nn::BatchNorm1d bn_{nullptr};
};

}  // namespace

ChannelMlpImpl::ChannelMlpImpl(int64_t channels, int64_t reduction)
    : channels_(channels), hidden_(std::max<int64_t>(1, channels / std::max<int64_t>(1, reduction))) {
  fc1_ = register_module("fc1", nn::Linear(channels_, hidden_));
  fc2_ = register_module("fc2", nn::Linear(hidden_, channels_));
}

torch::Tensor ChannelMlpImpl::forward(const torch::Tensor& squeezed) {
  return torch::sigmoid(fc2_->forward(torch::relu(fc1_->forward(squeezed))));
}

torch::Tensor as_channel_gate(const torch::Tensor& gates, int64_t rank) {
  std::vector<int64_t> shape = {gates.size(0), gates.size(1)};
  shape.resize(rank, 1);
  return gates.view(shape);
}

const std::vector<std::string>& recalibration_kinds() {
  static const std::vector<std::string> kinds = {"none", "cse",  "sse",        "scse",
                                                 "srm",  "fca", "monofractal"};
  return kinds;
}

RecalibrationPtr make_recalibration(const std::string& kind, int64_t channels, int dims,
                                    int64_t reduction) {
  if (kind == "none") return nullptr;
  if (kind == "cse") return std::make_shared<ChannelSEImpl>(channels, reduction);
  if (kind == "sse") return std::make_shared<SpatialSEImpl>(channels);
  if (kind == "scse") return std::make_shared<ConcurrentSEImpl>(channels, reduction);
  if (kind == "srm") return std::make_shared<SrmImpl>(channels);
  if (kind == "fca") return std::make_shared<FcaImpl>(channels, dims, reduction);
  if (kind == "monofractal") return std::make_shared<MonofractalImpl>(channels, reduction);
  std::string known;
  for (const auto& k : recalibration_kinds()) known += (known.empty() ? "" : ", ") + k;
  throw std::invalid_argument("se '" + kind + "' is not one of: " + known);
}

}  // namespace unetx::models
