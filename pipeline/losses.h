// Training losses. Shapes: logits (B, K, spatial...) with 2 or 3 spatial dims, target
// (B, spatial...) holding class indices 0 .. K-1 (int64; other integer types are converted).
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

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

// The loss of the U-Net interpretability study: binary cross-entropy + (1 - soft IoU) +
// (1 - soft Dice), each on the softmax probabilities of the foreground classes 1 .. K-1 against
// their one-hot maps (for K = 2: the usual binary form on p_1). BCE is the mean over voxels and
// classes; IoU and Dice are batch-level per class ((I + s) / (P + G - I + s)), averaged.
torch::Tensor bce_iou_dice_loss(const torch::Tensor& logits, const torch::Tensor& target,
                                double smooth = 1e-5);

// The --loss names training_loss accepts: "dice_ce", "bce_iou_dice".
const std::vector<std::string>& loss_names();

// A loss by its --loss name (loss_names()). Throws std::invalid_argument for another name.
torch::Tensor training_loss(const std::string& name, const torch::Tensor& logits,
                            const torch::Tensor& target);

}  // namespace unetx::pipeline
