// Dual Attention Transformer (DAT) of UDTransNet (Wang et al., "Narrowing the semantic gaps in
// U-Net with learnable skip connections: The case of medical image segmentation", Neural
// Networks 2024), on the multi-scale skip features s_0..s_(S-1) of a U-shaped network
// (s_i: C_i channels at 2^-i resolution). Works for 2-D and 3-D (dims).
//
//   embed:  s_i -> average-pool by patch_i = patch * 2^(S-1-i) -> linear C_i -> C_i -> tokens
//           t_i (B, N, C_i); every scale gets the same token grid of N = (size / 2^(S-1) /
//           patch)^D tokens.
//   layer (x layers):
//     channel-wise fusion attention (CFA): per scale, queries from LN(t_i), keys and values from
//       LN(concat_i t_i) (B, N, C_sum); a (C_i/h x C_sum/h) attention between channels per head
//       h, scores standardized per map before the softmax (so the temperature does not depend on
//       N); t_i += proj_i(attention . values).
//     spatial-wise selection attention (SSA): per scale, multi-head attention over the N tokens
//       (softmax(q k^T / sqrt(C_i/h)) v); t_i += proj_i(...).
//     MLP: t_i += fc2(GELU(fc1(LN(t_i)))), expansion 4.
//   reconstruct: LN, linear C_i -> C_i, back to the token grid, (bi|tri)linear upsampling by
//           patch_i, added to s_i (a residual correction of the skip).
//
// Choices where the paper leaves room or assumes 2-D with fixed image size: the patch embedding is
// average pooling + a linear map (not a patch_i^D convolution, whose parameters would grow with
// the 3-D patch volume) and there are no learned position embeddings (input sizes vary with the
// sliding window); heads split the channels, so every C_i must be divisible by heads.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace unetx::models {

class DualAttentionTransformerImpl : public torch::nn::Module {
 public:
  // channels: C_0..C_(S-1); heads, layers >= 1; patch >= 1 (a power of 2); dims 2 or 3.
  DualAttentionTransformerImpl(std::vector<int64_t> channels, int64_t heads, int64_t layers,
                               int64_t patch, int dims);

  // skips: s_0..s_(S-1) as above, the coarsest spatial size a multiple of patch. Returns the
  // recalibrated skips, same shapes.
  std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& skips);

  // 2 x multiply-adds of the linear maps and attention products for skips whose level-0 spatial
  // volume is `voxels0` voxels (per sample).
  double flops(double voxels0) const;

 private:
  std::vector<int64_t> channels_;
  int64_t heads_, layers_, patch_;
  int dims_;
  torch::nn::ModuleList embed_{nullptr}, blocks_{nullptr}, final_norm_{nullptr},
      reconstruct_{nullptr};
};
TORCH_MODULE(DualAttentionTransformer);

}  // namespace unetx::models
