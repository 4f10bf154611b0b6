// The interface every network in the zoo implements, so commands, explainers and uncertainty
// estimators work with any of them without knowing the architecture.
#pragma once

#include <torch/torch.h>

#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace unetx::models {

class SegmentationModel : public torch::nn::Module {
 public:
  // x: (B, C_in, [Z,] Y, X) with 2 or 3 spatial dims as `spatial_dims()`; returns logits
  // (B, num_classes, same spatial size). Spatial sizes must be divisible by `size_divisors()`.
  virtual torch::Tensor forward(torch::Tensor x) = 0;

  // Deep supervision for the trainer: every output the network can be supervised on, each
  // logits (B, num_classes, same spatial size as x). Element 0 is the main output, the same as
  // forward(x) of the full (unpruned) network; the rest are auxiliary heads from finer to coarser
  // sub-networks or decoder levels (UNet++: heads L-1..1; EU-Net: MHEX+ of decoder levels
  // 0..L-1, upsampled). A loss is typically a weighted sum over the elements. Models without
  // auxiliary heads return {forward(x)}.
  virtual std::vector<torch::Tensor> forward_deep_supervision(torch::Tensor x) { return {forward(x)}; }

  virtual int spatial_dims() const = 0;
  virtual int64_t in_channels() const = 0;
  virtual int64_t num_classes() const = 0;
  // Every spatial input size must be a multiple of this (2^number of downsamplings); for a
  // network that downsamples some axes less, the largest of size_divisors(), so a size divisible
  // by it is always accepted.
  virtual int64_t size_divisor() const = 0;
  // The divisor of each spatial axis, in input order ((Z,) Y, X).
  virtual std::vector<int64_t> size_divisors() const {
    return std::vector<int64_t>(static_cast<size_t>(spatial_dims()), size_divisor());
  }
  // The full configuration, enough for models::make_model to rebuild the same network.
  virtual nlohmann::json config() const = 0;

  // Named feature taps (e.g. "encoder.0", "bottleneck", "decoder.1"): while recording is on,
  // forward() keeps each tap's activation (still attached to the autograd graph) in taps().
  virtual std::vector<std::string> tap_names() const = 0;

  // Analytic cost of one forward pass on an input of `input_shape` (B, C, spatial...):
  // 2 x multiply-adds of the convolution and transposed-convolution layers (norms, activations
  // and biases excluded). Use models::forward_flops; models that cannot count throw.
  virtual double forward_flops(const std::vector<int64_t>& input_shape) const {
    (void)input_shape;
    throw std::logic_error("forward_flops is not implemented for model '" +
                           config().value("name", std::string("?")) + "'");
  }

  void record_taps(bool on) {
    recording_ = on;
    if (!on) taps_.clear();
  }
  const std::map<std::string, torch::Tensor>& taps() const { return taps_; }

 protected:
  void tap(const std::string& name, const torch::Tensor& t) {
    if (recording_) taps_[name] = t;
  }
  // For taps that cost extra compute (e.g. class activation maps): compute only when recorded.
  bool recording_taps() const { return recording_; }

 private:
  bool recording_ = false;
  std::map<std::string, torch::Tensor> taps_;
};

using ModelPtr = std::shared_ptr<SegmentationModel>;

}  // namespace unetx::models
