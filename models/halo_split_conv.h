// Batch-1 convolutions computed as a batch of two, so LibTorch runs them on oneDNN.
//
// LibTorch 1.13 picks its CPU convolution kernel by a size rule: a float convolution with batch
// 1, one group and N*C*D*H (the product of the input's first four sizes) of at most 20480 goes
// to the native im2col kernel instead of oneDNN. That catches exactly the 3-D cases this tool
// runs most (small patches, the deep levels of any U-Net, one window or one sample per rank),
// where the native kernel is 3-20x slower forward+backward (bench_models prints the ratio).
// Splitting the first spatial axis into two halves, each with the halo of input rows its
// outputs need, gives the same convolution as a batch of 2, which oneDNN takes.
#pragma once

#include <torch/torch.h>

#include <optional>

namespace unetx::models {

// The convolution of `x` [1, C, S0, ...] (2-D or 3-D, zero padding) computed as a batch of two
// halves of S0, or nullopt when LibTorch would not use its native kernel anyway (batch > 1,
// groups > 1, a larger input, 1^D kernels, an output shorter than 2 along S0). Equal to the plain convolution up to float rounding; differentiable.
std::optional<torch::Tensor> halo_split_convolution(const torch::Tensor& x, const torch::Tensor& w,
                                                    const torch::Tensor& b,
                                                    torch::IntArrayRef stride,
                                                    torch::IntArrayRef padding,
                                                    torch::IntArrayRef dilation, int64_t groups);

// torch::nn::Conv{2,3}d whose forward takes the halo split when it applies. Same parameters,
// names and options as the base module, so checkpoints and code that casts to the base type
// are unaffected (a clone() is a plain base module, which computes the same values).
template <typename Base, size_t D>
class HaloSplitConvImpl : public Base {
 public:
  using Base::Base;

  torch::Tensor forward(const torch::Tensor& x) {
    const auto& o = this->options;
    const auto* pad = c10::get_if<torch::ExpandingArray<D>>(&o.padding());
    if (pad && c10::get_if<torch::enumtype::kZeros>(&o.padding_mode())) {
      if (auto y = halo_split_convolution(x, this->weight, this->bias, *o.stride(), **pad,
                                          *o.dilation(), o.groups()))
        return *y;
    }
    return Base::forward(x);
  }
};

using HaloSplitConv2dImpl = HaloSplitConvImpl<torch::nn::Conv2dImpl, 2>;
using HaloSplitConv3dImpl = HaloSplitConvImpl<torch::nn::Conv3dImpl, 3>;
TORCH_MODULE_IMPL(HaloSplitConv2d, HaloSplitConv2dImpl);
TORCH_MODULE_IMPL(HaloSplitConv3d, HaloSplitConv3dImpl);

}  // namespace unetx::models
