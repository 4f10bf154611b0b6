// The parts every U-shaped network of the zoo shares: the convolution stage, the upsampling,
// the encoder (stages + optional recalibration + max-pooling + bottleneck) and the decoder
// (upsampling + concatenation with the skip + stage). They are helpers, not modules: each
// registers its layers on the owning network under fixed names ("encoder", "se", "bottleneck",
// "up", "decoder"), so every network's checkpoint keys read the same as the plain U-Net's.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "models/layers.h"
#include "models/recalibration.h"

namespace unetx::models {

struct UNetOptions;

// Records a named activation (SegmentationModel::tap of the owning network).
using TapFn = std::function<void(const std::string&, const torch::Tensor&)>;

// 2 x [conv 3^D (pad 1) -> norm -> LeakyReLU] [-> channel dropout if with_dropout and > 0].
template <int D>
torch::nn::Sequential make_stage(const UNetOptions& o, int64_t in, int64_t out, bool with_dropout);
// Upsampling by `factors` (one per axis, the level's pool strides; empty = 2 on every axis),
// in -> out channels: transposed conv with kernel = stride = factors, or interpolation + conv 1^D.
template <int D>
torch::nn::Sequential make_up(const UNetOptions& o, int64_t in, int64_t out,
                              const std::vector<int64_t>& factors = {});

// Each level's downsampling factors (D per level, input axis order) from o.pool_strides(), or 2
// on every axis when it is empty. validate(UNetOptions) has checked the shape.
std::vector<std::vector<int64_t>> level_strides(const UNetOptions& o);
// Per axis, the product of every level's factor: what each input size must be a multiple of.
std::vector<int64_t> axis_divisors(const std::vector<std::vector<int64_t>>& strides, int dims);
// Throws std::invalid_argument naming `model` when o.pool_strides() asks for anything but 2 on
// every axis (networks whose nested or fused paths assume uniform halving).
void require_uniform_pooling(const std::string& model, const UNetOptions& o);

// Throws std::invalid_argument naming `model` when its options ask for `options_dims` spatial
// dimensions but the network class was built for `dims`.
void check_dims(const std::string& model, int options_dims, int dims);

// Throws std::invalid_argument naming `model` unless x is (B, in_channels, D spatial sizes, each a
// positive multiple of its axis's divisor).
void check_input(const torch::Tensor& x, int dims, const std::string& model, int64_t in_channels,
                 const std::vector<int64_t>& divisors);
// The same with one divisor for every axis.
void check_input(const torch::Tensor& x, int dims, const std::string& model, int64_t in_channels,
                 int64_t divisor);

// Voxel count per sample at levels 0..strides.size() (level i+1 has the voxels of level i
// divided by the product of strides[i]). Throws std::invalid_argument if input_shape is not
// (B, C, D spatial sizes).
std::vector<double> level_voxels(const std::vector<int64_t>& input_shape, int dims,
                                 const std::vector<std::vector<int64_t>>& strides,
                                 const std::string& model);
// The same for `levels` halvings of every axis (level i has 2^-iD of the input's voxels).
std::vector<double> level_voxels(const std::vector<int64_t>& input_shape, int dims, int levels,
                                 const std::string& model);
// 2 x multiply-adds of make_stage on `voxels` voxels.
double stage_flops(int dims, int64_t in, int64_t out, double voxels);
double up_flops(const UNetOptions& o, int64_t in, int64_t out, double input_voxels);

template <int D>
class UNetEncoder {
 public:
  void build(torch::nn::Module& owner, const UNetOptions& o);
  // Returns {encoder.0, ..., encoder.(L-1), bottleneck}; encoder.i is the (recalibrated) stage
  // output at 2^-i resolution (per axis: divided by the strides of the levels above it). Taps
  // "encoder.i", "se.i<suffix>", "bottleneck". With depth in [0, L) only levels 0..depth run
  // and the result ends at encoder.depth (pruned UNet++).
  std::vector<torch::Tensor> forward(torch::Tensor x, const TapFn& tap, int depth = -1) const;
  std::vector<std::string> tap_names(int depth = -1) const;
  double flops(const std::vector<double>& level_voxels, int depth = -1) const;

 private:
  int64_t in_channels_ = 0;
  std::vector<int64_t> features_;
  std::vector<std::vector<int64_t>> strides_;  // level_strides of the options
  torch::nn::ModuleList stages_{nullptr};
  std::vector<RecalibrationPtr> se_;  // empty when se = "none"
  torch::nn::Sequential bottleneck_{nullptr};
};

template <int D>
class UNetDecoder {
 public:
  // Changes the skip of level i before the concatenation (given the upsampled decoder feature).
  using SkipHook = std::function<torch::Tensor(int, const torch::Tensor& up, const torch::Tensor& skip)>;
  // Changes the output of decoder stage i before it goes up (or to the head for i = 0).
  using OutputHook = std::function<torch::Tensor(int, const torch::Tensor&)>;

  void build(torch::nn::Module& owner, const UNetOptions& o);
  // features: the encoder's output. Returns decoder.0 (f0 channels, full resolution). Taps
  // "decoder.i" (after the output hook).
  torch::Tensor forward(const std::vector<torch::Tensor>& features, const TapFn& tap,
                        const SkipHook& skip_hook = {}, const OutputHook& output_hook = {}) const;
  std::vector<std::string> tap_names() const;  // decoder.(L-1) .. decoder.0
  double flops(const std::vector<double>& level_voxels) const;

 private:
  std::vector<int64_t> features_;
  std::vector<std::vector<int64_t>> strides_;  // level_strides of the options
  torch::nn::ModuleList up_{nullptr};       // up_[i] feeds decoder_[i]; index 0 = finest
  torch::nn::ModuleList decoder_{nullptr};  // decoder_[i] runs at the resolution of encoder.i
  bool transposed_ = true;
};

extern template class UNetEncoder<2>;
extern template class UNetEncoder<3>;
extern template class UNetDecoder<2>;
extern template class UNetDecoder<3>;

}  // namespace unetx::models
