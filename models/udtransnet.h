// UDTransNet (Wang et al., "Narrowing the semantic gaps in U-Net with learnable skip connections:
// The case of medical image segmentation", Neural Networks 2024), 2-D and 3-D: a U-Net whose
// skip connections are learned.
//   encoder (unet_parts.h, optional recalibration) -> skips encoder.0..encoder.(L-1)
//   -> Dual Attention Transformer on all skips together (dual_attention.h: channel-wise fusion
//      attention, then spatial-wise selection attention; "heads" and "layers", default 4 and 4)
//   -> decoder: at level i the upsampled decoder feature recalibrates its skip through the
//      Decoder-guided Recalibration Attention (decoder_recalibration.h) before the concatenation
//   -> 1^D head.
// Taps: the U-Net's, plus "dat.i" (skip i after the transformer) and "dra.i" (the channel
// attention (B, C, C) of level i).
// Choices: the paper uses 4 encoder levels and a 2-D 224^2 input; here the transformer takes the
// L skips of any depth, with a token grid of (size / 2^(L-1) / dat_patch)^D, so the input size
// must be a multiple of 2^(L-1) dat_patch as well as of 2^L (size_divisor). The default dat_patch
// 2 keeps the spatial attention affordable on 3-D patches (a 96^3 patch with L = 3: 12^3 tokens).
#pragma once

#include "models/decoder_recalibration.h"
#include "models/dual_attention.h"
#include "models/unet.h"

namespace unetx::models {

struct UDTransNetOptions {
  explicit UDTransNetOptions(UNetOptions backbone) : backbone_(std::move(backbone)) {}
  TORCH_ARG(UNetOptions, backbone);
  // Attention heads (every encoder width must be divisible by it) and transformer layers.
  TORCH_ARG(int64_t, heads) = 4;
  TORCH_ARG(int64_t, layers) = 4;
  // Token patch size at the coarsest skip, a power of 2.
  TORCH_ARG(int64_t, dat_patch) = 2;
};

void validate(const UDTransNetOptions& options);
// Backbone keys with name "udtransnet", plus "heads", "layers", "dat_patch".
nlohmann::json to_json(const UDTransNetOptions& options);
UDTransNetOptions udtransnet_options_from_json(const nlohmann::json& config);

template <int D>
class UDTransNetImpl : public SegmentationModel {
 public:
  explicit UDTransNetImpl(UDTransNetOptions options);

  torch::Tensor forward(torch::Tensor x) override;

  int spatial_dims() const override { return D; }
  int64_t in_channels() const override { return backbone().in_channels(); }
  int64_t num_classes() const override { return backbone().num_classes(); }
  int64_t size_divisor() const override;
  nlohmann::json config() const override { return to_json(options_); }
  std::vector<std::string> tap_names() const override;
  double forward_flops(const std::vector<int64_t>& input_shape) const override;

  int levels() const { return static_cast<int>(backbone().features().size()) - 1; }

 private:
  const UNetOptions& backbone() const { return options_.backbone(); }

  UDTransNetOptions options_;
  UNetEncoder<D> encoder_;
  DualAttentionTransformer dat_{nullptr};
  torch::nn::ModuleList dra_{nullptr};  // dra_[i] at decoder level i
  UNetDecoder<D> decoder_;
  torch::nn::Sequential head_{nullptr};
};

extern template class UDTransNetImpl<2>;
extern template class UDTransNetImpl<3>;

ModelPtr make_udtransnet(const UDTransNetOptions& options);

}  // namespace unetx::models
