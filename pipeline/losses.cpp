#include "pipeline/losses.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "io/error.h"

namespace unetx::pipeline {

namespace {

// Checks shapes and returns (float logits, int64 target).
std::pair<torch::Tensor, torch::Tensor> checked(const torch::Tensor& logits,
                                                const torch::Tensor& target) {
  const int64_t d = logits.dim();
  if (d != 4 && d != 5) {
    throw Error("", "loss: logits must be (B, K, [Z,] Y, X), got " + std::to_string(d) + " dims");
  }
  if (logits.size(1) < 2) throw Error("", "loss: needs at least 2 classes (K >= 2)");
  bool same = target.dim() == d - 1 && target.size(0) == logits.size(0);
  for (int64_t i = 2; same && i < d; ++i) same = target.size(i - 1) == logits.size(i);
  if (!same) {
    throw Error("", "loss: target shape " + std::string(c10::str(target.sizes())) +
                        " does not match logits " + std::string(c10::str(logits.sizes())));
  }
  if (at::isFloatingType(target.scalar_type())) {
    throw Error("", "loss: target must hold integer class indices");
  }
  auto l = logits.scalar_type() == torch::kDouble ? logits : logits.to(torch::kFloat);
  return {l, target.to(torch::kLong)};
}

// Per-class soft overlap sums over the batch and all voxels, each (K): sum(p g), sum p, sum g.
struct Overlap {
  torch::Tensor intersection, predicted, reference;
};

Overlap soft_overlap(const torch::Tensor& probs, const torch::Tensor& onehot) {
  std::vector<int64_t> reduce{0};
  for (int64_t i = 2; i < probs.dim(); ++i) reduce.push_back(i);
  return {(probs * onehot).sum(reduce), probs.sum(reduce), onehot.sum(reduce)};
}

// One-hot target (B, K, spatial...) in the probabilities' dtype.
torch::Tensor one_hot(const torch::Tensor& target, int64_t k, torch::ScalarType type) {
  std::vector<int64_t> perm{0, target.dim()};  // (B, spatial..., K) -> (B, K, spatial...)
  for (int64_t i = 1; i < target.dim(); ++i) perm.push_back(i);
  return torch::nn::functional::one_hot(target, k).permute(perm).to(type);
}

}  // namespace

torch::Tensor soft_dice_loss(const torch::Tensor& logits_in, const torch::Tensor& target_in,
                             double smooth) {
  auto [logits, target] = checked(logits_in, target_in);
  const auto probs = torch::softmax(logits, 1);
  const Overlap o = soft_overlap(probs, one_hot(target, logits.size(1), probs.scalar_type()));
  const auto dice = (2 * o.intersection + smooth) / (o.predicted + o.reference + smooth);
  return 1 - dice.slice(0, 1).mean();
}

torch::Tensor bce_iou_dice_loss(const torch::Tensor& logits_in, const torch::Tensor& target_in,
                                double smooth) {
  auto [logits, target] = checked(logits_in, target_in);
  const auto log_probs = torch::log_softmax(logits, 1).slice(1, 1);
  const auto probs = log_probs.exp();
  const auto onehot = one_hot(target, logits.size(1), probs.scalar_type()).slice(1, 1);
  // log(1 - p) from log p without cancellation: log1p(-exp(log p)), p clamped below 1.
  const auto log_not = torch::log1p(-probs.clamp_max(1.0 - 1e-7));
  const auto bce = -(onehot * log_probs + (1 - onehot) * log_not).mean();
  const Overlap o = soft_overlap(probs, onehot);
  const auto dice = (2 * o.intersection + smooth) / (o.predicted + o.reference + smooth);
  const auto iou =
      (o.intersection + smooth) / (o.predicted + o.reference - o.intersection + smooth);
  return bce + (1 - iou.mean()) + (1 - dice.mean());
}

const std::vector<std::string>& loss_names() {
  static const std::vector<std::string> names{"dice_ce", "bce_iou_dice"};
  return names;
}

torch::Tensor training_loss(const std::string& name, const torch::Tensor& logits,
                            const torch::Tensor& target) {
  if (name == "dice_ce") return dice_ce_loss(logits, target);
  if (name == "bce_iou_dice") return bce_iou_dice_loss(logits, target);
  throw std::invalid_argument("unknown loss '" + name + "' (dice_ce, bce_iou_dice)");
}

torch::Tensor dice_ce_loss(const torch::Tensor& logits_in, const torch::Tensor& target_in,
                           double smooth) {
  auto [logits, target] = checked(logits_in, target_in);
  const auto ce = torch::nn::functional::cross_entropy(logits, target);
  return soft_dice_loss(logits, target, smooth) + ce;
}

}  // namespace unetx::pipeline
