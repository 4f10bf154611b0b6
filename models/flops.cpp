#include "models/flops.h"

namespace unetx::models {

double forward_flops(const SegmentationModel& model, const std::vector<int64_t>& input_shape) {
  return model.forward_flops(input_shape);
}

double conv_flops(int64_t in_channels, int64_t out_channels, double kernel_volume,
                  double output_voxels) {
  return 2.0 * static_cast<double>(in_channels) * static_cast<double>(out_channels) *
         kernel_volume * output_voxels;
}

double conv_transpose_flops(int64_t in_channels, int64_t out_channels, double kernel_volume,
                            double input_voxels) {
  return 2.0 * static_cast<double>(in_channels) * static_cast<double>(out_channels) *
         kernel_volume * input_voxels;
}

}  // namespace unetx::models
