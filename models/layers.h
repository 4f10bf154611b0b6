// The only place where the spatial dimension turns into concrete LibTorch layer types, shared by
// every network of the zoo so each is written once for 2-D and 3-D.
#pragma once

#include <torch/torch.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "models/halo_split_conv.h"
#include "models/sync_batch_norm.h"

namespace unetx::models {

template <int D>
struct Layers;

template <>
struct Layers<2> {
  using Conv = HaloSplitConv2d;  // a torch::nn::Conv2d (see halo_split_conv.h)
  using ConvOptions = torch::nn::Conv2dOptions;
  using ConvImpl = torch::nn::Conv2dImpl;
  using ConvTranspose = torch::nn::ConvTranspose2d;
  using ConvTransposeOptions = torch::nn::ConvTranspose2dOptions;
  using InstanceNorm = torch::nn::InstanceNorm2d;
  using InstanceNormOptions = torch::nn::InstanceNorm2dOptions;
  using BatchNorm = SyncBatchNorm2d;  // a torch::nn::BatchNorm2d (see sync_batch_norm.h)
  using BatchNormOptions = torch::nn::BatchNorm2dOptions;
  using Dropout = torch::nn::Dropout2d;
  static torch::nn::UpsampleOptions upsample(const std::vector<int64_t>& factors) {
    return torch::nn::UpsampleOptions()
        .scale_factor(std::vector<double>(factors.begin(), factors.end()))
        .mode(torch::kBilinear)
        .align_corners(false);
  }
  static torch::nn::functional::InterpolateFuncOptions::mode_t interpolate_mode() {
    return torch::kBilinear;
  }
  // Max-pool with kernel = stride = `factors` (one per axis; 1 keeps that axis).
  static torch::Tensor max_pool(const torch::Tensor& x, const std::vector<int64_t>& factors) {
    return torch::max_pool2d(x, factors, factors);
  }
  static torch::Tensor conv(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
    return torch::conv2d(x, w, b);
  }
  static torch::Tensor adaptive_avg_pool(const torch::Tensor& x, int64_t size) {
    return torch::adaptive_avg_pool2d(x, {size, size});
  }
};

template <>
struct Layers<3> {
  using Conv = HaloSplitConv3d;  // a torch::nn::Conv3d (see halo_split_conv.h)
  using ConvOptions = torch::nn::Conv3dOptions;
  using ConvImpl = torch::nn::Conv3dImpl;
  using ConvTranspose = torch::nn::ConvTranspose3d;
  using ConvTransposeOptions = torch::nn::ConvTranspose3dOptions;
  using InstanceNorm = torch::nn::InstanceNorm3d;
  using InstanceNormOptions = torch::nn::InstanceNorm3dOptions;
  using BatchNorm = SyncBatchNorm3d;  // a torch::nn::BatchNorm3d (see sync_batch_norm.h)
  using BatchNormOptions = torch::nn::BatchNorm3dOptions;
  using Dropout = torch::nn::Dropout3d;
  static torch::nn::UpsampleOptions upsample(const std::vector<int64_t>& factors) {
    return torch::nn::UpsampleOptions()
        .scale_factor(std::vector<double>(factors.begin(), factors.end()))
        .mode(torch::kTrilinear)
        .align_corners(false);
  }
  static torch::nn::functional::InterpolateFuncOptions::mode_t interpolate_mode() {
    return torch::kTrilinear;
  }
  static torch::Tensor max_pool(const torch::Tensor& x, const std::vector<int64_t>& factors) {
    return torch::max_pool3d(x, factors, factors);
  }
  static torch::Tensor conv(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b) {
    return torch::conv3d(x, w, b);
  }
  static torch::Tensor adaptive_avg_pool(const torch::Tensor& x, int64_t size) {
    return torch::adaptive_avg_pool3d(x, {size, size, size});
  }
};

// A 1^D convolution (a per-voxel linear map over channels).
template <int D>
typename Layers<D>::Conv conv1(int64_t in, int64_t out, bool bias = true) {
  return typename Layers<D>::Conv(typename Layers<D>::ConvOptions(in, out, 1).bias(bias));
}

// (Bi|tri)linear resampling of `x` to the spatial size of `like`.
template <int D>
torch::Tensor resize_like(const torch::Tensor& x, const torch::Tensor& like) {
  const auto size = like.sizes().slice(2).vec();
  return torch::nn::functional::interpolate(x, torch::nn::functional::InterpolateFuncOptions()
                                                   .size(size)
                                                   .mode(Layers<D>::interpolate_mode())
                                                   .align_corners(false));
}

// The largest group count <= 8 that divides `channels` (GroupNorm).
inline int64_t group_count(int64_t channels) {
  int64_t g = std::min<int64_t>(8, channels);
  while (channels % g != 0) --g;
  return g;
}

}  // namespace unetx::models
