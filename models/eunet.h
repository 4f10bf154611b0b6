// EU-Net: a U-Net (unet.h, same encoder with optional recalibration, same decoder and head)
// whose every decoder stage carries the MHEX+ module (mhex.h): an attention gate on the decoder
// features, a deep-supervision output, and an equivalent kernel for class activation maps.
//
// Decoder level i: decoder.i -> MHEX+(f(i) channels, hidden "mhex_channels", K classes) -> the
// gated features go up to level i-1 (or to the head at i = 0). The main output is the U-Net head
// on the gated decoder.0; the MHEX+ logits of levels 0..L-1 are the deep-supervision outputs
// (forward_deep_supervision, upsampled (bi|tri)linearly to the input size). Extra parameters
// over the same U-Net: sum over levels of f(i) m + 2 m + 1 + m K + K (a few thousand for the SE
// study's baseline, far below 0.1 M; extra_parameter_count()).
// Taps: the U-Net's, plus "mhex.i.gate" (B, 1, spatial) and "mhex.i.cam" (B, K, spatial) (the
// equivalent kernel applied to decoder.i's features, computed only while recording).
#pragma once

#include "models/mhex.h"
#include "models/unet.h"

namespace unetx::models {

struct EUNetOptions {
  explicit EUNetOptions(UNetOptions backbone) : backbone_(std::move(backbone)) {}
  TORCH_ARG(UNetOptions, backbone);
  // Hidden width m of the MHEX+ 1^D convolutions, >= 1.
  TORCH_ARG(int64_t, mhex_channels) = 16;
};

void validate(const EUNetOptions& options);
// Backbone keys with name "eunet", plus "mhex_channels".
nlohmann::json to_json(const EUNetOptions& options);
EUNetOptions eunet_options_from_json(const nlohmann::json& config);

template <int D>
class EUNetImpl : public SegmentationModel {
 public:
  explicit EUNetImpl(EUNetOptions options);

  torch::Tensor forward(torch::Tensor x) override;
  // {main output, MHEX+ logits of decoder.0, ..., decoder.(L-1)} at the input size.
  std::vector<torch::Tensor> forward_deep_supervision(torch::Tensor x) override;

  int spatial_dims() const override { return D; }
  int64_t in_channels() const override { return backbone().in_channels(); }
  int64_t num_classes() const override { return backbone().num_classes(); }
  int64_t size_divisor() const override { return int64_t{1} << levels(); }
  nlohmann::json config() const override { return to_json(options_); }
  std::vector<std::string> tap_names() const override;
  double forward_flops(const std::vector<int64_t>& input_shape) const override;

  int levels() const { return static_cast<int>(backbone().features().size()) - 1; }
  // The MHEX+ module of decoder level i (0 = full resolution).
  MhexImpl<D>& mhex(int level) { return *mhex_->template ptr<MhexImpl<D>>(level); }
  // Parameters of the MHEX+ modules: the difference to the same U-Net without them.
  int64_t extra_parameter_count() const;

 private:
  const UNetOptions& backbone() const { return options_.backbone(); }
  torch::Tensor run(const torch::Tensor& x, std::vector<torch::Tensor>* level_logits);

  EUNetOptions options_;
  UNetEncoder<D> encoder_;
  UNetDecoder<D> decoder_;
  torch::nn::ModuleList mhex_{nullptr};  // mhex_[i] after decoder stage i
  torch::nn::Sequential head_{nullptr};
};

extern template class EUNetImpl<2>;
extern template class EUNetImpl<3>;

ModelPtr make_eunet(const EUNetOptions& options);

}  // namespace unetx::models
