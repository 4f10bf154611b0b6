// Training losses. Shapes: logits (B, K, spatial...) with 2 or 3 spatial dims, target
// (B, spatial...) holding class indices 0 .. K-1 (int64; other integer types are converted).
#pragma once

#include <torch/torch.h>

namespace unetx::pipeline {

// 1 - mean soft Dice over the foreground classes 1 .. K-1, from softmax(logits). "Batch Dice"
// as in nnU-Net: intersection and sums run over the batch and all voxels per class,
// dice_k = (2 sum(p_k g_k) + smooth) / (sum p_k + sum g_k + smooth), so a class absent from one
// patch does not produce a noisy 0/0 term. Needs K >= 2. Computed in float32.
torch::Tensor soft_dice_loss(const torch::Tensor& logits, const torch::Tensor& target,
                             double smooth = 1e-5);

// soft_dice_loss + mean voxel cross-entropy, weighted 1 : 1. A scalar; 0 for perfect, confident
// logits; ln K + the Dice term for uniform logits.
torch::Tensor dice_ce_loss(const torch::Tensor& logits, const torch::Tensor& target,
                           double smooth = 1e-5);

}  // namespace unetx::pipeline
