// UNet++ (Zhou et al., "UNet++: A Nested U-Net Architecture for Medical Image Segmentation",
// DLMIA 2018; "UNet++: Redesigning Skip Connections...", IEEE TMI 2020), 2-D and 3-D.
//
// Nodes X(i,j): level i (2^-i resolution), column j. Column 0 is the U-Net encoder (shared with
// UNetImpl, including the optional recalibration blocks; X(L,0) is the bottleneck). For j >= 1:
//   X(i,j) = stage( concat( X(i,0), ..., X(i,j-1), up(i,j)( X(i+1,j-1) ) ) ),  i + j <= L,
// a dense skip pathway; stage is the U-Net stage (2 x conv 3^D + norm + LeakyReLU), up(i,j) the
// U-Net upsampling f(i+1) -> f(i), one per node. The output of node X(i,j) has f(i) channels.
// Deep supervision: a 1^D head on every X(0,j), j = 1..L ("deep_supervision": false keeps only
// the head on X(0,L)).
// Pruning ("prune_level" l in 1..L; 0 means L): forward runs only the nodes with i + j <= l, the
// sub-network UNet++ L^l of the paper, and returns head l on X(0,l). The sub-network's weights are
// those of the full network, so its output equals the full network's deep-supervision head l.
//
// Choices: the paper's "accurate mode" (averaging the heads) is left to the trainer/inferer via
// forward_deep_supervision; forward is the "fast mode" head of the active level. Nested nodes get
// the backbone's channel dropout like U-Net decoder stages. Pruning below L needs the
// deep-supervision heads, so a pruned model without them is refused.
#pragma once

#include "models/unet.h"

namespace unetx::models {

struct UNetPlusPlusOptions {
  explicit UNetPlusPlusOptions(UNetOptions backbone) : backbone_(std::move(backbone)) {}
  // in_channels, num_classes, dims, features (L + 1 levels), norm, dropout, upsample, se, ...
  TORCH_ARG(UNetOptions, backbone);
  // Heads on every X(0,j) (needed to train the prunable sub-networks).
  TORCH_ARG(bool, deep_supervision) = true;
  // 0 (= L, the full network) or 1..L.
  TORCH_ARG(int, prune_level) = 0;
};

void validate(const UNetPlusPlusOptions& options);
// The backbone keys of to_json(UNetOptions) with name "unetpp", plus "deep_supervision" and
// "prune_level".
nlohmann::json to_json(const UNetPlusPlusOptions& options);
UNetPlusPlusOptions unetpp_options_from_json(const nlohmann::json& config);

template <int D>
class UNetPlusPlusImpl : public SegmentationModel {
 public:
  explicit UNetPlusPlusImpl(UNetPlusPlusOptions options);

  // Logits of head l on X(0,l), l = active_level(), running only the nodes it needs.
  torch::Tensor forward(torch::Tensor x) override;
  // Full network: {head L, head L-1, ..., head 1} (each (B, num_classes, input size)); without
  // deep supervision just {forward(x)} of the full network.
  std::vector<torch::Tensor> forward_deep_supervision(torch::Tensor x) override;

  int spatial_dims() const override { return D; }
  int64_t in_channels() const override { return backbone().in_channels(); }
  int64_t num_classes() const override { return backbone().num_classes(); }
  // 2^active_level(): a pruned network has fewer downsamplings.
  int64_t size_divisor() const override { return int64_t{1} << active_level(); }
  nlohmann::json config() const override { return to_json(options_); }
  // encoder.i / se.i / bottleneck of the active levels, then "node.i.j" column by column.
  std::vector<std::string> tap_names() const override;
  double forward_flops(const std::vector<int64_t>& input_shape) const override;

  const UNetPlusPlusOptions& options() const { return options_; }
  int levels() const { return static_cast<int>(backbone().features().size()) - 1; }
  int active_level() const { return options_.prune_level() == 0 ? levels() : options_.prune_level(); }
  // Throws std::invalid_argument if the level is out of range or has no head.
  void set_prune_level(int level);

 private:
  const UNetOptions& backbone() const { return options_.backbone(); }
  // Runs the nodes with i + j <= depth; returns X(0,1..depth) (index j - 1).
  std::vector<torch::Tensor> top_row(torch::Tensor x, int depth);
  torch::Tensor head(int j, const torch::Tensor& x0j);

  UNetPlusPlusOptions options_;
  UNetEncoder<D> encoder_;
  torch::nn::ModuleDict up_{nullptr};     // key "i_j": up(i,j)
  torch::nn::ModuleDict nodes_{nullptr};  // key "i_j": stage of X(i,j), j >= 1
  torch::nn::ModuleList heads_{nullptr};  // heads_[j - 1] on X(0,j), or only X(0,L)
};

extern template class UNetPlusPlusImpl<2>;
extern template class UNetPlusPlusImpl<3>;

ModelPtr make_unetpp(const UNetPlusPlusOptions& options);

}  // namespace unetx::models
