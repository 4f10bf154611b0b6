#include "xai/uncertainty.h"

#include <torch/torch.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include "io/error.h"
#include "pipeline/class_argmax.h"

namespace unetx::xai {

at::Tensor entropy(const at::Tensor& probs) {
  if (probs.dim() < 1) throw Error("entropy", "probabilities must be (K, spatial...)");
  // Rounding can leave probabilities a hair below 0; xlogy(0, 0) is 0 by definition.
  const at::Tensor p = probs.detach().to(at::kFloat).clamp_min(0);
  return at::xlogy(p, p).sum(0, /*keepdim=*/true).neg().clamp_min(0);
}

double foreground_voxels(const at::Tensor& probs) {
  return static_cast<double>(foreground_mask(probs, 0).sum().item<int64_t>());
}

at::Tensor foreground_mask(const at::Tensor& probs, int64_t class_dim) {
  const at::Tensor p = probs.detach();
  if (p.size(class_dim) == 1) return p.ge(0.5);
  // Not at::argmax, which is slow on a short class axis (pipeline/class_argmax.h); once per
  // MC dropout / TTA sample.
  return pipeline::class_argmax(p, class_dim).ne(0);
}

double volume_cv(const std::vector<double>& volumes) {
  if (volumes.size() < 2) return 0.0;
  double mean = 0.0;
  for (double v : volumes) mean += v;
  mean /= static_cast<double>(volumes.size());
  if (mean == 0.0) return 0.0;
  double ss = 0.0;
  for (double v : volumes) ss += (v - mean) * (v - mean);
  return std::sqrt(ss / static_cast<double>(volumes.size())) / mean;
}

SampleStatistics sample_statistics(const std::function<at::Tensor()>& sample_probs, int samples) {
  if (samples < 1) {
    throw Error("--samples", "must be at least 1, got " + std::to_string(samples));
  }
  torch::NoGradGuard no_grad;
  // Welford: the running mean of identical samples stays bit-identical to them, so p = 0
  // dropout or identical ensemble members give exactly zero variance and mutual information.
  at::Tensor mean, m2, mean_entropy;
  SampleStatistics r;
  for (int t = 0; t < samples; ++t) {
    const at::Tensor p = sample_probs().detach().to(at::kFloat);
    r.foreground_voxels.push_back(foreground_voxels(p));
    if (!mean.defined()) {
      mean = p.clone();
      m2 = at::zeros_like(p);
      mean_entropy = entropy(p);
      continue;
    }
    if (p.sizes() != mean.sizes()) {
      std::ostringstream msg;
      msg << "sample " << t << " has shape " << p.sizes() << ", sample 0 had " << mean.sizes();
      throw Error("mc_dropout", msg.str());
    }
    const double w = 1.0 / (t + 1);
    const at::Tensor delta = p - mean;
    mean.add_(delta, w);
    m2.addcmul_(delta, p - mean);
    const at::Tensor h = entropy(p);
    mean_entropy.add_(h - mean_entropy, w);
  }
  r.mean_probs = mean;
  r.entropy = entropy(mean);
  // Jensen makes this >= 0; float rounding can dip a few ulps below.
  r.mutual_information = (r.entropy - mean_entropy).clamp_min(0);
  r.variance = m2.div_(samples).clamp_min_(0).mean(0, /*keepdim=*/true);
  r.mean_entropy = mean_over(r.entropy);
  return r;
}

McDropoutResult mc_dropout(const std::function<at::Tensor()>& sample_probs, int samples) {
  return sample_statistics(sample_probs, samples);
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
