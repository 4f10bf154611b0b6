// Analytic compute cost of networks, for throughput reports (achieved GFLOP/s vs. GEMM peak).
// Convention: 2 x multiply-adds of convolution and transposed-convolution layers; norms,
// activations, pooling, biases and interpolation are left out (they are memory-bound noise).
#pragma once

#include <cstdint>
#include <vector>

#include "models/segmentation_model.h"

namespace unetx::models {

// One forward pass of `model` on an input of shape (B, C, spatial...). A training step
// (forward + backward) costs about 3x this. Throws if the model cannot count or the rank is wrong.
double forward_flops(const SegmentationModel& model, const std::vector<int64_t>& input_shape);

// A dense convolution, per sample: 2 * in * out * kernel_volume * output_voxels
// (groups = 1; kernel_volume = product of kernel sizes).
double conv_flops(int64_t in_channels, int64_t out_channels, double kernel_volume,
                  double output_voxels);

// A transposed convolution, per sample: every input voxel is scattered through the kernel:
// 2 * in * out * kernel_volume * input_voxels.
double conv_transpose_flops(int64_t in_channels, int64_t out_channels, double kernel_volume,
                            double input_voxels);

}  // namespace unetx::models
