#include "models/decoder_recalibration.h"

#include <cmath>

namespace unetx::models {
namespace {

// (B, C, M) -> per-voxel linear map over channels -> (B, C, M)
torch::Tensor channel_map(torch::nn::Linear& f, const torch::Tensor& x) {
  return f->forward(x.transpose(1, 2)).transpose(1, 2);
}

}  // namespace

DecoderRecalibrationImpl::DecoderRecalibrationImpl(int64_t channels) : channels_(channels) {
  query_ = register_module("query", torch::nn::Linear(channels, channels));
  key_ = register_module("key", torch::nn::Linear(channels, channels));
  value_ = register_module("value", torch::nn::Linear(channels, channels));
  out_ = register_module("out", torch::nn::Linear(channels, channels));
  log_temperature_ = register_parameter("log_temperature", torch::full({1}, std::log(10.0)));
}

std::pair<torch::Tensor, torch::Tensor> DecoderRecalibrationImpl::forward(
    const torch::Tensor& up, const torch::Tensor& skip) {
  const auto u = up.flatten(2), s = skip.flatten(2);  // (B, C, M)
  namespace F = torch::nn::functional;
  const auto q = F::normalize(channel_map(query_, u), F::NormalizeFuncOptions().dim(2));
  const auto k = F::normalize(channel_map(key_, s), F::NormalizeFuncOptions().dim(2));
  const auto attention =
      torch::softmax(log_temperature_.exp() * torch::matmul(q, k.transpose(1, 2)), -1);
  const auto mixed = channel_map(out_, torch::matmul(attention, channel_map(value_, s)));
  return {skip + mixed.view(skip.sizes()), attention};
}

double DecoderRecalibrationImpl::flops(double voxels) const {
  const double c = static_cast<double>(channels_);
  return 2.0 * 4.0 * c * c * voxels + 2.0 * 2.0 * c * c * voxels;
}

}  // namespace unetx::models
