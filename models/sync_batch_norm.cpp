#include "models/sync_batch_norm.h"

#include <stdexcept>
#include <vector>

namespace unetx::models {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

BatchStatisticsReducer* installed = nullptr;

// Every axis but the channel axis.
std::vector<int64_t> reduce_axes(const torch::Tensor& x) {
  std::vector<int64_t> axes{0};
  for (int64_t d = 2; d < x.dim(); ++d) axes.push_back(d);
  return axes;
}

// [C] -> [1, C, 1, ...] to broadcast against x.
torch::Tensor per_channel(const torch::Tensor& v, const torch::Tensor& x) {
  std::vector<int64_t> shape(x.dim(), 1);
  shape[1] = v.size(0);
  return v.view(shape);
}

struct SyncBatchNormFunction : public torch::autograd::Function<SyncBatchNormFunction> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& weight, const torch::Tensor& bias,
                               torch::Tensor running_mean, torch::Tensor running_var,
                               double momentum, double eps, int64_t reducer_address) {
    // The reducer travels as an address: saved_data holds IValues, and backward runs later.
    auto* reducer = reinterpret_cast<BatchStatisticsReducer*>(reducer_address);
    ctx->saved_data["reducer"] = reducer_address;
    const int64_t channels = x.size(1);
    const auto axes = reduce_axes(x);
    // One message per layer: [sum (C), sum of squares (C), count].
    torch::Tensor stats = torch::cat({x.sum(axes), (x * x).sum(axes),
                                      torch::full({1}, static_cast<double>(x.numel() / channels),
                                                  x.options())});
    reducer->sum(stats);
    const torch::Tensor count = stats.narrow(0, 2 * channels, 1);
    const torch::Tensor mean = stats.narrow(0, 0, channels) / count;
    const torch::Tensor var = (stats.narrow(0, channels, channels) / count - mean * mean).clamp_min(0);
    const torch::Tensor invstd = (var + eps).rsqrt();
    const double n = count.item<double>();  // samples per channel over every rank
    {
      torch::NoGradGuard no_grad;
      running_mean.mul_(1 - momentum).add_(mean * momentum);
      running_var.mul_(1 - momentum).add_(var * (momentum * n / std::max(n - 1, 1.0)));
    }
    torch::Tensor xhat = (x - per_channel(mean, x)) * per_channel(invstd, x);
    ctx->save_for_backward({xhat, invstd, weight});
    ctx->saved_data["count"] = n;
    ctx->saved_data["has_bias"] = bias.defined();
    if (weight.defined()) xhat = xhat * per_channel(weight, x);
    return bias.defined() ? xhat + per_channel(bias, x) : xhat;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& xhat = saved[0];
    const torch::Tensor& invstd = saved[1];
    const torch::Tensor& weight = saved[2];
    const torch::Tensor dy = grad_outputs[0];
    const auto axes = reduce_axes(dy);
    const int64_t channels = dy.size(1);
    const torch::Tensor local_dy = dy.sum(axes), local_dy_xhat = (dy * xhat).sum(axes);
    // The input gradient needs the global sums; weight and bias keep this rank's share.
    torch::Tensor sums = torch::cat({local_dy, local_dy_xhat});
    reinterpret_cast<BatchStatisticsReducer*>(ctx->saved_data["reducer"].toInt())->sum(sums);
    const double n = ctx->saved_data["count"].toDouble();  // as in forward
    const torch::Tensor mean_dy = sums.narrow(0, 0, channels) / n;
    const torch::Tensor mean_dy_xhat = sums.narrow(0, channels, channels) / n;
    torch::Tensor scale = weight.defined() ? invstd * weight : invstd;
    const torch::Tensor dx = per_channel(scale, dy) *
                             (dy - per_channel(mean_dy, dy) - xhat * per_channel(mean_dy_xhat, dy));
    const bool has_bias = ctx->saved_data["has_bias"].toBool();
    return {dx, weight.defined() ? local_dy_xhat : torch::Tensor(),
            has_bias ? local_dy : torch::Tensor(), torch::Tensor(), torch::Tensor(),
            torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

ScopedBatchNormSync::ScopedBatchNormSync(BatchStatisticsReducer& reducer) {
  if (installed) throw std::logic_error("a batch-norm reducer is already installed");
  installed = &reducer;
}

ScopedBatchNormSync::~ScopedBatchNormSync() { installed = nullptr; }

BatchStatisticsReducer* installed_batch_statistics_reducer() { return installed; }

torch::Tensor sync_batch_norm(const torch::Tensor& x, const torch::Tensor& weight,
                              const torch::Tensor& bias, torch::Tensor running_mean,
                              torch::Tensor running_var, double momentum, double eps,
                              BatchStatisticsReducer& reducer) {
  return SyncBatchNormFunction::apply(x, weight, bias, running_mean, running_var, momentum, eps,
                                      reinterpret_cast<int64_t>(&reducer));
}

}  // namespace unetx::models
