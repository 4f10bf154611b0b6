// Squeeze-and-excitation ("recalibration") blocks applied after encoder stages, selectable per
// model with the option "se". All of them work on (B, C, spatial...) tensors of any spatial rank,
// so one definition serves 2-D and 3-D networks. Their gates (the excitations, values in (0, 1))
// are returned alongside the output so models can publish them as taps.
//
//   "cse"   channel SE (Hu et al., CVPR 2018; Roy et al., MICCAI 2018): global average pool ->
//           FC (C -> C/r) -> ReLU -> FC (C/r -> C) -> sigmoid; r = "se_reduction" (default 2, as
//           in Roy et al.; Hu et al. used 16 for much wider networks).
//   "sse"   spatial SE (Roy et al.): 1^D conv C -> 1 -> sigmoid, one gate per voxel.
//   "scse"  concurrent spatial and channel SE (Roy et al.): cSE(x) + sSE(x). The MICCAI paper
//           adds the two branches; its journal version also tried max, we keep the addition.
//   "srm"   style-based recalibration (Lee et al., ICCV 2019): per-channel mean and standard
//           deviation, channel-wise fully connected (2 weights per channel, no bias), batch norm,
//           sigmoid. The channel-wise weights start from the default uniform fan-in init rather
//           than zero, so the gate is not constant at the first step.
//   "fca"   frequency channel attention (Qin et al., ICCV 2021), see fca.h.
//   "monofractal"  local singularity exponents, see monofractal.h.
//
// "srm" and "monofractal" batch-normalize over the batch: in training they need batch >= 2.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace unetx::models {

// One gate of a recalibration block. `suffix` is appended to the block's tap name: "" for a
// single gate, ".channel" / ".spatial" for the two gates of scSE.
struct Excitation {
  std::string suffix;
  torch::Tensor gate;  // (B, C, 1...) channel gate or (B, 1, spatial...) spatial gate, in (0, 1)
};

class RecalibrationImpl : public torch::nn::Module {
 public:
  // x: (B, C, spatial...). Returns the recalibrated tensor (same shape) and appends the gates to
  // `excitations` when it is not null.
  virtual torch::Tensor forward(const torch::Tensor& x, std::vector<Excitation>* excitations) = 0;
  // The suffixes forward() appends, in order.
  virtual std::vector<std::string> excitation_suffixes() const { return {""}; }
  // Multiply-add cost per sample (x2) of the block's linear maps on `voxels` voxels.
  virtual double flops(double voxels) const = 0;
};

using RecalibrationPtr = std::shared_ptr<RecalibrationImpl>;

// "none", "cse", "sse", "scse", "srm", "fca", "monofractal".
const std::vector<std::string>& recalibration_kinds();

// Builds the block `kind` for `channels` channels of a `dims`-D network (dims matters for the
// FCA basis only). Returns nullptr for "none"; throws std::invalid_argument for an unknown kind.
RecalibrationPtr make_recalibration(const std::string& kind, int64_t channels, int dims,
                                    int64_t reduction);

// FC (C -> max(1, C / reduction)) -> ReLU -> FC -> sigmoid: the excitation MLP of cSE, FCA and
// the monofractal block. forward: (B, C) -> (B, C) gates in (0, 1).
class ChannelMlpImpl : public torch::nn::Module {
 public:
  ChannelMlpImpl(int64_t channels, int64_t reduction);
  torch::Tensor forward(const torch::Tensor& squeezed);
  double flops() const { return 4.0 * static_cast<double>(channels_ * hidden_); }

 private:
  int64_t channels_, hidden_;
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr};
};
TORCH_MODULE(ChannelMlp);

// (B, C) gates -> (B, C, 1...) broadcastable against x of rank `rank`.
torch::Tensor as_channel_gate(const torch::Tensor& gates, int64_t rank);

}  // namespace unetx::models
