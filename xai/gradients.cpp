#include "xai/gradients.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "models/attribution_mode.h"

namespace unetx::xai {
namespace {

using models::AttributionMode;
using models::AttributionModeGuard;

// Sum over `count` perturbed copies of x of df/dx at copy k = make(k), `per_pass` copies per
// batched pass. (B, C, spatial...).
template <typename Make>
at::Tensor gradient_sum(models::SegmentationModel& model, const at::Tensor& x, const Objective& obj,
                        int count, int per_pass, Make&& make, bool absolute) {
  const int64_t b = x.size(0);
  at::Tensor total = at::zeros(x.sizes(), x.options().dtype(at::kFloat));
  for (int k0 = 0; k0 < count; k0 += per_pass) {
    const int m = std::min(per_pass, count - k0);
    std::vector<at::Tensor> copies;
    for (int k = k0; k < k0 + m; ++k) copies.push_back(make(k));
    at::Tensor g = input_gradient(model, at::cat(copies, 0), obj.repeated(m)).first;
    if (absolute) g = g.abs();
    total += g.view([&] {
                 std::vector<int64_t> s{m, b};
                 for (int64_t d = 1; d < x.dim(); ++d) s.push_back(x.size(d));
                 return s;
               }())
                 .sum(0);
  }
  return total;
}

}  // namespace

at::Tensor saliency(models::SegmentationModel& model, const at::Tensor& x, const at::Tensor&,
                    const Objective& obj, const MethodOptions&) {
  return input_gradient(model, x, obj).first.abs();
}

at::Tensor input_x_gradient(models::SegmentationModel& model, const at::Tensor& x,
                            const at::Tensor&, const Objective& obj, const MethodOptions&) {
  return x.to(at::kFloat) * input_gradient(model, x, obj).first;
}

at::Tensor smoothgrad(models::SegmentationModel& model, const at::Tensor& x, const at::Tensor&,
                      const Objective& obj, const MethodOptions& options) {
  const Objective fixed = fix_region(model, x, obj);
  const int n = std::max(1, options.samples);
  const at::Tensor flat = x.detach().flatten(1);
  std::vector<int64_t> shape(static_cast<size_t>(x.dim()), 1);
  shape[0] = x.size(0);
  const at::Tensor sigma =
      ((std::get<0>(flat.max(1)) - std::get<0>(flat.min(1))) * options.noise).view(shape);
  auto make = [&](int) { return x + at::randn_like(x) * sigma; };
  return gradient_sum(model, x, fixed, n, std::max(1, options.batch), make, true) / n;
}

at::Tensor integrated_gradients(models::SegmentationModel& model, const at::Tensor& x,
                                const at::Tensor& baseline, const Objective& obj,
                                const MethodOptions& options) {
  const Objective fixed = fix_region(model, x, obj);
  const int s = std::max(1, options.steps);
  const at::Tensor delta = (x - baseline).detach();
  auto make = [&](int k) { return baseline + delta * ((k + 0.5) / s); };
  const at::Tensor g = gradient_sum(model, x, fixed, s, std::max(1, options.batch), make, false);
  return delta.to(at::kFloat) * g / s;
}

at::Tensor guided_backprop(models::SegmentationModel& model, const at::Tensor& x, const at::Tensor&,
                           const Objective& obj, const MethodOptions&) {
  AttributionModeGuard guided(AttributionMode::guided);
  return input_gradient(model, x, obj).first;
}

at::Tensor deeplift(models::SegmentationModel& model, const at::Tensor& x, const at::Tensor& baseline,
                    const Objective& obj, const MethodOptions&) {
  const Objective fixed = fix_region(model, x, obj);
  // The reference guard outlives the rescale pass: its recorded inputs are what the secants of
  // the rescale pass are taken against.
  AttributionModeGuard reference(AttributionMode::reference);
  {
    torch::NoGradGuard no_grad;
    model.forward(baseline);
  }
  AttributionModeGuard rescale(AttributionMode::rescale);
  return (x - baseline).detach().to(at::kFloat) * input_gradient(model, x, fixed).first;
}

at::Tensor blurred_baseline(const at::Tensor& x, double sigma) {
  const int64_t radius = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(3 * sigma)));
  const at::Tensor t = at::arange(-radius, radius + 1, x.options().dtype(at::kFloat));
  at::Tensor k = at::exp(-0.5 * (t / sigma).pow(2));
  k = k / k.sum();
  const int64_t channels = x.size(1);
  const int dims = static_cast<int>(x.dim()) - 2;
  at::Tensor out = x.to(at::kFloat);
  for (int d = 0; d < dims; ++d) {
    std::vector<int64_t> shape(static_cast<size_t>(dims + 2), 1);
    shape[0] = channels;
    shape[static_cast<size_t>(d + 2)] = 2 * radius + 1;
    std::vector<int64_t> pad(static_cast<size_t>(dims), 0);
    pad[static_cast<size_t>(d)] = radius;
    const at::Tensor w = k.view(shape);
    out = dims == 2 ? at::conv2d(out, w, {}, 1, pad, 1, channels)
                    : at::conv3d(out, w, {}, 1, pad, 1, channels);
  }
  return out.to(x.scalar_type());
}

}  // namespace unetx::xai
