#include "xai/uncertainty.h"

#include <torch/torch.h>

#include <limits>
#include <sstream>
#include <string>

#include "io/error.h"

namespace unetx::xai {

at::Tensor entropy(const at::Tensor& probs) {
  if (probs.dim() < 1) throw Error("entropy", "probabilities must be (K, spatial...)");
  // Rounding can leave probabilities a hair below 0; xlogy(0, 0) is 0 by definition.
  const at::Tensor p = probs.detach().to(at::kFloat).clamp_min(0);
  return at::xlogy(p, p).sum(0, /*keepdim=*/true).neg().clamp_min(0);
}

McDropoutResult mc_dropout(const std::function<at::Tensor()>& sample_probs, int samples) {
  if (samples < 1) {
    throw Error("--samples", "must be at least 1, got " + std::to_string(samples));
  }
  torch::NoGradGuard no_grad;
  at::Tensor sum_probs;
  at::Tensor sum_entropy;
  for (int t = 0; t < samples; ++t) {
    const at::Tensor p = sample_probs().detach().to(at::kFloat);
    if (!sum_probs.defined()) {
      sum_probs = p.clone();
      sum_entropy = entropy(p);
      continue;
    }
    if (p.sizes() != sum_probs.sizes()) {
      std::ostringstream msg;
      msg << "sample " << t << " has shape " << p.sizes() << ", sample 0 had " << sum_probs.sizes();
      throw Error("mc_dropout", msg.str());
    }
    sum_probs.add_(p);
    sum_entropy.add_(entropy(p));
  }
  McDropoutResult r;
  r.mean_probs = sum_probs.div_(samples);
  r.entropy = entropy(r.mean_probs);
  // Jensen makes this >= 0; float rounding can dip a few ulps below.
  r.mutual_information = (r.entropy - sum_entropy.div_(samples)).clamp_min(0);
  r.mean_entropy = mean_over(r.entropy);
  return r;
}

double mean_over(const at::Tensor& map, const at::Tensor& mask) {
  const at::Tensor m = map.detach().to(at::kDouble).reshape({-1});
  if (!mask.defined()) {
    return m.numel() ? m.mean().item<double>() : std::numeric_limits<double>::quiet_NaN();
  }
  if (mask.numel() != map.numel()) {
    std::ostringstream msg;
    msg << "mask shape " << mask.sizes() << " does not match map shape " << map.sizes();
    throw Error("mean_over", msg.str());
  }
  const at::Tensor keep = mask.detach().reshape({-1}).ne(0);
  const int64_t n = keep.sum().item<int64_t>();
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  return m.masked_select(keep).sum().item<double>() / static_cast<double>(n);
}

}  // namespace unetx::xai
