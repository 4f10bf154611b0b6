// A TorchScript module (scripted or traced in Python PyTorch and saved with torch.jit.save) seen
// as a SegmentationModel, so `--model file.pt` works wherever a checkpoint does: predict, the
// gradient-based explainers (gradients flow through the scripted graph to the input) and TTA
// uncertainty. The module's forward must map (B, C, spatial...) to logits (B, K, same spatial).
//
// What TorchScript does not carry, the caller says (TorchScriptInfo) or the module declares as
// integer attributes with the same names (spatial_dims, in_channels, num_classes, size_divisor),
// which win. num_classes 0 means: find out with one forward pass on zeros.
// The scripted parameters are registered on this module (under their names with '.' -> '_'), so
// parameters(), to(device) and optimizers see them; train()/eval() switch the scripted module.
// There are no taps (the graph is opaque) and no FLOP count.
#pragma once

#include <torch/script.h>

#include <filesystem>

#include "models/segmentation_model.h"

namespace unetx::models {

struct TorchScriptInfo {
  int spatial_dims = 3;
  int64_t in_channels = 1;
  int64_t num_classes = 0;  // 0: inferred
  int64_t size_divisor = 1;
};

class TorchScriptModelImpl : public SegmentationModel {
 public:
  // Throws unetx::Error(path, reason) if the file cannot be read as TorchScript or the module
  // does not produce logits of the expected shape.
  TorchScriptModelImpl(const std::filesystem::path& path, TorchScriptInfo info,
                       torch::Device device = torch::kCPU);

  torch::Tensor forward(torch::Tensor x) override;
  int spatial_dims() const override { return info_.spatial_dims; }
  int64_t in_channels() const override { return info_.in_channels; }
  int64_t num_classes() const override { return info_.num_classes; }
  int64_t size_divisor() const override { return info_.size_divisor; }
  // {"name": "torchscript", "path", "spatial_dims", "in_channels", "num_classes", "size_divisor"}
  nlohmann::json config() const override;
  std::vector<std::string> tap_names() const override { return {}; }
  void train(bool on = true) override;

 private:
  std::filesystem::path path_;
  TorchScriptInfo info_;
  torch::jit::Module module_;
};

// True if `path` ends in ".pt" or ".pth" or ".ts" (how users name TorchScript files; unetx
// checkpoints use ".ckpt").
bool looks_like_torchscript(const std::filesystem::path& path);

ModelPtr load_torchscript_model(const std::filesystem::path& path, const TorchScriptInfo& info,
                                torch::Device device = torch::kCPU);

}  // namespace unetx::models
