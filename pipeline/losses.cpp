#include "pipeline/losses.h"

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

}  // namespace

torch::Tensor soft_dice_loss(const torch::Tensor& logits_in, const torch::Tensor& target_in,
                             double smooth) {
  auto [logits, target] = checked(logits_in, target_in);
  const int64_t k = logits.size(1);
  const auto probs = torch::softmax(logits, 1);
  // (B, spatial..., K) -> (B, K, spatial...)
  std::vector<int64_t> perm{0, logits.dim() - 1};
  for (int64_t i = 1; i < logits.dim() - 1; ++i) perm.push_back(i);
  const auto onehot =
      torch::nn::functional::one_hot(target, k).permute(perm).to(probs.scalar_type());
  std::vector<int64_t> reduce{0};
  for (int64_t i = 2; i < logits.dim(); ++i) reduce.push_back(i);
  const auto intersection = (probs * onehot).sum(reduce);
  const auto denominator = probs.sum(reduce) + onehot.sum(reduce);
  const auto dice = (2 * intersection + smooth) / (denominator + smooth);
  return 1 - dice.slice(0, 1).mean();
}

torch::Tensor dice_ce_loss(const torch::Tensor& logits_in, const torch::Tensor& target_in,
                           double smooth) {
  auto [logits, target] = checked(logits_in, target_in);
  const auto ce = torch::nn::functional::cross_entropy(logits, target);
  return soft_dice_loss(logits, target, smooth) + ce;
}

}  // namespace unetx::pipeline
