#include "pipeline/normalize.h"

#include <algorithm>
#include <string>

#include "io/error.h"

namespace unetx::pipeline {

namespace {

// (x - mean) / max(std, kZscoreMinStd) in float64, written as float32.
at::Tensor standardize(const at::Tensor& x64, double mean, double std) {
  return ((x64 - mean) / std::max(std, kZscoreMinStd)).to(at::kFloat);
}

}  // namespace

at::Tensor zscore(const at::Tensor& x) {
  if (x.dim() < 1 || x.size(0) < 1) throw Error("", "zscore: expected a (C, ...) tensor");
  if (x.numel() == 0) return x.to(at::kFloat);
  auto out = at::empty(x.sizes(), x.options().dtype(at::kFloat));
  for (int64_t c = 0; c < x.size(0); ++c) {
    // One channel at a time in float64: accurate sums without doubling the whole volume.
    const auto channel = x[c].to(at::kDouble);
    const double mean = channel.mean().item<double>();
    const double std = channel.std(/*unbiased=*/false).item<double>();
    out[c].copy_(standardize(channel, mean, std));
  }
  return out;
}

at::Tensor zscore_masked(const at::Tensor& x, const at::Tensor& mask) {
  if (!mask.defined() || mask.sizes() != x.sizes())
    throw Error("", "zscore_masked: the mask must have the channel's shape");
  const auto m = mask.to(at::kBool);
  const auto x64 = x.to(at::kDouble);
  const auto inside = x64.masked_select(m);
  if (inside.numel() == 0) return at::zeros(x.sizes(), x.options().dtype(at::kFloat));
  const double mean = inside.mean().item<double>();
  const double std = inside.std(/*unbiased=*/false).item<double>();
  return standardize(x64, mean, std).masked_fill_(m.logical_not(), 0.0);
}

at::Tensor normalize_ct(const at::Tensor& x, const ChannelNormalization& n) {
  return standardize(x.to(at::kDouble).clamp(n.clip_low, n.clip_high), n.mean, n.std);
}

bool needs_nonzero_mask(const Plan& plan) {
  for (int c = 0; c < plan.in_channels; ++c)
    if (plan.normalization_of(c).scheme == "zscore_nonzero") return true;
  return false;
}

at::Tensor normalize_channels(const at::Tensor& x, const Plan& plan, const at::Tensor& nonzero) {
  if (x.dim() < 1 || x.size(0) != plan.in_channels)
    throw Error("", "normalize: expected " + std::to_string(plan.in_channels) + " channel(s)");
  auto out = at::empty(x.sizes(), x.options().dtype(at::kFloat));
  for (int64_t c = 0; c < x.size(0); ++c) {
    const ChannelNormalization n = plan.normalization_of(static_cast<int>(c));
    if (n.scheme == "ct") {
      out[c].copy_(normalize_ct(x[c], n));
    } else if (n.scheme == "zscore_nonzero") {
      out[c].copy_(zscore_masked(x[c], nonzero));
    } else {
      out[c].copy_(zscore(x[c].unsqueeze(0))[0]);
    }
  }
  return out;
}

}  // namespace unetx::pipeline
