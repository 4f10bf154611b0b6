#include "pipeline/normalize.h"

#include <algorithm>
#include <string>

#include "io/error.h"

namespace unetx::pipeline {

at::Tensor zscore(const at::Tensor& x) {
  if (x.dim() < 1 || x.size(0) < 1) throw Error("", "zscore: expected a (C, ...) tensor");
  if (x.numel() == 0) return x.to(at::kFloat);
  auto out = at::empty(x.sizes(), x.options().dtype(at::kFloat));
  for (int64_t c = 0; c < x.size(0); ++c) {
    // One channel at a time in float64: accurate sums without doubling the whole volume.
    const auto channel = x[c].to(at::kDouble);
    const double mean = channel.mean().item<double>();
    const double std = std::max(channel.std(/*unbiased=*/false).item<double>(), kZscoreMinStd);
    out[c].copy_((channel - mean) / std);
  }
  return out;
}

}  // namespace unetx::pipeline
