// U-Net (Ronneberger et al. 2015, 3-D variant after Cicek et al. 2016), one definition for 2-D and
// 3-D: `UNetImpl<D>` is templated on the spatial dimension only; a small traits struct in unet.cpp
// maps D to Conv{2,3}d, ConvTranspose, InstanceNorm, BatchNorm, Dropout{2,3}d and max-pool.
//
// Architecture, for features {f0, ..., fL} (L = features.size() - 1 resolution levels):
//   stage(cin, cout)  = 2 x [conv 3^D (pad 1, bias) -> norm -> LeakyReLU(negative_slope)]
//   encoder.i         = stage(i == 0 ? in_channels : f(i-1), f(i)),      i = 0 .. L-1
//   downsampling      = max-pool 2 (parameter-free, exactly halves each even size; a strided
//                       conv would add parameters and couple the pooling to the stage width);
//                       per level and axis 2 or 1 with pool_strides (anisotropic pooling)
//   bottleneck        = stage(f(L-1), fL) [-> channel dropout]
//   up.i              = "transposed": ConvTranspose k2 s2, f(i+1) -> f(i);
//                       "interpolate": (bi|tri)linear x2 upsample -> conv 1^D, f(i+1) -> f(i)
//                       (kernel, stride and scale are level i's pool_strides when given)
//   decoder.i         = stage(2 f(i), f(i)) on concat(up.i, encoder.i) [-> channel dropout],
//                       i = L-1 .. 0, so decoder.0 runs at full resolution, last before the head
//   head              = conv 1^D, f0 -> num_classes (logits, no activation)
//   se.i (optional)   = the recalibration block "se" (recalibration.h) after encoder.i, before
//                       its skip and its pooling; its gates are the taps "se.i[.channel|.spatial]"
// The encoder and decoder are shared with the other networks of the zoo (unet_parts.h), and so
// is this options struct: UNet++, EU-Net and UDTransNet take a UNetOptions for their backbone.
// Norms: "instance" (affine, no running stats, the nnU-Net default), "batch", "group" (the largest
// group count <= 8 that divides the channels), "none". Dropout (Dropout2d/3d, whole channels) is
// only created when dropout > 0, so a model without it reports 0 modules to set_mc_dropout.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/segmentation_model.h"
#include "models/unet_parts.h"

namespace unetx::models {

// Options in LibTorch style: required values in the constructor, the rest chained setters.
//   UNetOptions(1, 3).dims(2).features({16, 32, 64}).norm("batch").dropout(0.2)
struct UNetOptions {
  UNetOptions(int64_t in_channels, int64_t num_classes)
      : in_channels_(in_channels), num_classes_(num_classes) {}

  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, num_classes);
  // Number of spatial dimensions: 2 (B, C, Y, X) or 3 (B, C, Z, Y, X).
  TORCH_ARG(int, dims) = 3;
  // Channels per resolution level; the last entry is the bottleneck. size >= 2.
  TORCH_ARG(std::vector<int64_t>, features) = std::vector<int64_t>{32, 64, 128, 256};
  // "instance" | "batch" | "group" | "none".
  TORCH_ARG(std::string, norm) = "instance";
  // Channel-dropout probability after the bottleneck and each decoder stage, in [0, 1).
  TORCH_ARG(double, dropout) = 0.0;
  // "transposed" | "interpolate".
  TORCH_ARG(std::string, upsample) = "transposed";
  TORCH_ARG(double, negative_slope) = 0.01;
  // Recalibration after each encoder stage: "none" | "cse" | "sse" | "scse" | "srm" | "fca" |
  // "monofractal" (see recalibration.h).
  TORCH_ARG(std::string, se) = "none";
  // Channel reduction r of the excitation MLPs (hidden width C / r), >= 1.
  TORCH_ARG(int64_t, se_reduction) = 2;
  // Downsampling of each level (L = features.size() - 1 of them) along each spatial axis, in
  // the input's order ((Z,) Y, X): 2 halves the axis, 1 keeps it. Empty = 2 everywhere. A plan
  // keeps an axis that is too thin or too coarse to halve (a slab 4 voxels thick, 5 mm slices
  // beside 0.8 mm pixels) while the other axes go deeper, as nnU-Net's plans do. Only the
  // U-Net takes it; UNet++, EU-Net and UDTransNet refuse anything but 2 everywhere.
  TORCH_ARG(std::vector<std::vector<int64_t>>, pool_strides) = {};
};

// Throws std::invalid_argument naming the first bad option.
void validate(const UNetOptions& options);

// {"name": "unet", "in_channels", "num_classes", "dims", "features", "norm", "dropout",
//  "upsample", "negative_slope", "se", "se_reduction"[, "pool_strides" when not empty]}; the
// result is accepted by make_model.
nlohmann::json to_json(const UNetOptions& options);
// Inverse of to_json: in_channels and num_classes are required, the others default; "name", if
// present, must be `model` ("unet" unless another model reads its backbone keys); a key that is
// neither a backbone key nor in `model_keys` (likely a typo) throws std::invalid_argument.
UNetOptions unet_options_from_json(const nlohmann::json& config, const std::string& model = "unet",
                                   const std::vector<std::string>& model_keys = {});

template <int D>
class UNetImpl : public SegmentationModel {
 public:
  // Throws std::invalid_argument if the options are invalid or options.dims() != D.
  explicit UNetImpl(UNetOptions options);

  // x: (B, in_channels, spatial...) with D spatial sizes, each a multiple of its axis's
  // size_divisors() entry.
  torch::Tensor forward(torch::Tensor x) override;

  int spatial_dims() const override { return D; }
  int64_t in_channels() const override { return options_.in_channels(); }
  int64_t num_classes() const override { return options_.num_classes(); }
  int64_t size_divisor() const override;
  std::vector<int64_t> size_divisors() const override;
  nlohmann::json config() const override { return to_json(options_); }
  std::vector<std::string> tap_names() const override;
  double forward_flops(const std::vector<int64_t>& input_shape) const override;

  const UNetOptions& options() const { return options_; }
  // Number of downsamplings (= encoder stages = decoder stages).
  int levels() const { return static_cast<int>(options_.features().size()) - 1; }

 private:
  UNetOptions options_;
  UNetEncoder<D> encoder_;
  UNetDecoder<D> decoder_;
  torch::nn::Sequential head_{nullptr};  // Sequential(conv 1^D): keeps the weight name "head.0"
};

extern template class UNetImpl<2>;
extern template class UNetImpl<3>;
using UNet2dImpl = UNetImpl<2>;
using UNet3dImpl = UNetImpl<3>;

// Builds UNetImpl<options.dims()>; throws std::invalid_argument on invalid options.
ModelPtr make_unet(const UNetOptions& options);

}  // namespace unetx::models
