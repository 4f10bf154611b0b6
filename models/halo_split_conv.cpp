#include "models/halo_split_conv.h"

#include <algorithm>
#include <vector>

namespace unetx::models {
namespace {

// LibTorch 1.13's limit (aten/src/ATen/native/Convolution.cpp, ConvParams::use_mkldnn): at or
// below this N*C*S0*S1, a batch-1 single-group float convolution runs on the native kernel.
constexpr int64_t kNativeKernelLimit = 20480;

bool takes_native_kernel(const torch::Tensor& x, const torch::Tensor& w, int64_t groups) {
  if (x.dim() < 4 || x.size(0) != 1 || groups != 1) return false;
  if (!x.device().is_cpu() || x.scalar_type() != torch::kFloat || x.is_mkldnn()) return false;
  const bool pointwise = w.size(-1) == 1 && w.size(-2) == 1;
  return !pointwise && x.size(0) * x.size(1) * x.size(2) * x.size(3) <= kNativeKernelLimit;
}

}  // namespace

std::optional<torch::Tensor> halo_split_convolution(const torch::Tensor& x, const torch::Tensor& w,
                                                    const torch::Tensor& b,
                                                    torch::IntArrayRef stride,
                                                    torch::IntArrayRef padding,
                                                    torch::IntArrayRef dilation, int64_t groups) {
  if (!takes_native_kernel(x, w, groups)) return std::nullopt;
  // Along the split axis S0: output row o reads padded input rows [o*s, o*s + extent).
  const int64_t s = stride[0], p = padding[0];
  const int64_t extent = dilation[0] * (w.size(2) - 1) + 1;
  const int64_t padded = x.size(2) + 2 * p;
  if (padded < extent) return std::nullopt;
  const int64_t out = (padded - extent) / s + 1;
  if (out < 2) return std::nullopt;
  // An odd output length gives the second slab one row of zeros more at the end, whose extra
  // output row is dropped.
  const int64_t half = (out + 1) / 2, rows = (half - 1) * s + extent;
  const int64_t extra = half * s + rows - padded;  // > 0 only for an odd `out`

  // Zero-pad S0 by hand (the other axes keep the convolution's own padding), cut the two
  // overlapping slabs, and stack them as a batch of two.
  std::vector<int64_t> pad_spec(2 * (x.dim() - 2), 0);
  pad_spec[pad_spec.size() - 2] = p;
  pad_spec[pad_spec.size() - 1] = p + std::max<int64_t>(extra, 0);
  const bool any_pad = pad_spec.back() > 0 || p > 0;
  const torch::Tensor xp = any_pad ? torch::constant_pad_nd(x, pad_spec) : x;
  const torch::Tensor two = torch::cat({xp.narrow(2, 0, rows), xp.narrow(2, half * s, rows)}, 0);

  std::vector<int64_t> inner_padding = padding.vec();
  inner_padding[0] = 0;
  const torch::Tensor y =
      torch::convolution(two, w, b, stride, inner_padding, dilation, false,
                         std::vector<int64_t>(padding.size(), 0), groups);
  return torch::cat({y.narrow(0, 0, 1), y.narrow(0, 1, 1).narrow(2, 0, out - half)}, 2);
}

}  // namespace unetx::models
