#include "xai/faithfulness.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace unetx::xai {
namespace {

// f over a list of inputs (each (1, C, spatial...)), `batch` per pass.
std::vector<double> values(models::SegmentationModel& model, const std::vector<at::Tensor>& inputs,
                           const Objective& obj, int batch) {
  std::vector<double> out;
  const size_t per_pass = static_cast<size_t>(std::max(1, batch));
  for (size_t i0 = 0; i0 < inputs.size(); i0 += per_pass) {
    const size_t m = std::min(per_pass, inputs.size() - i0);
    const std::vector<at::Tensor> part(inputs.begin() + static_cast<long>(i0),
                                       inputs.begin() + static_cast<long>(i0 + m));
    const at::Tensor f =
        objective_values(model, at::cat(part, 0), obj.repeated(static_cast<int64_t>(m)));
    for (int64_t k = 0; k < f.size(0); ++k) out.push_back(f[k].item<double>());
  }
  return out;
}

Curve curve(models::SegmentationModel& model, const at::Tensor& x, const at::Tensor& phi,
            const at::Tensor& baseline, const Objective& obj, int steps, int batch, bool deletion) {
  steps = std::max(1, steps);
  const at::Tensor order = phi.to(at::kFloat).sum(1).flatten().argsort(/*stable=*/true, 0, true);
  const int64_t n = order.numel();
  const at::Tensor from = deletion ? x : baseline, to = deletion ? baseline : x;
  std::vector<at::Tensor> inputs;
  for (int s = 0; s <= steps; ++s) {
    const int64_t k = n * s / steps;
    at::Tensor keep = at::zeros({n}, x.options().dtype(at::kBool));
    keep.index_fill_(0, order.narrow(0, 0, k), true);
    const at::Tensor mask = keep.view(phi.sizes().slice(2)).unsqueeze(0).unsqueeze(0);
    inputs.push_back(at::where(mask, to, from));
  }
  Curve c;
  c.scores = values(model, inputs, obj, batch);
  for (int s = 0; s < steps; ++s) c.auc += 0.5 * (c.scores[s] + c.scores[s + 1]) / steps;
  return c;
}

}  // namespace

double infidelity(models::SegmentationModel& model, const at::Tensor& x, const at::Tensor& phi,
                  const Objective& obj, int samples, double sigma, int batch) {
  samples = std::max(1, samples);
  const double f0 = objective_values(model, x, obj).item<double>();
  const at::Tensor p = phi.to(at::kFloat).expand(x.sizes());
  std::vector<at::Tensor> inputs;
  std::vector<double> dot;
  for (int i = 0; i < samples; ++i) {
    const at::Tensor noise = at::randn_like(x, x.options().dtype(at::kFloat)) * sigma;
    dot.push_back((noise * p).sum().item<double>());
    inputs.push_back(x - noise.to(x.scalar_type()));
  }
  const std::vector<double> f = values(model, inputs, obj, batch);
  double sum = 0;
  for (int i = 0; i < samples; ++i) sum += std::pow(dot[i] - (f0 - f[i]), 2);
  return sum / samples;
}

double max_sensitivity(models::SegmentationModel& model, const at::Tensor& x, const at::Tensor& phi,
                       const at::Tensor& baseline, const Objective& obj, const AttributionFn& explain,
                       const MethodOptions& options, int samples, double radius) {
  const double norm = phi.to(at::kFloat).norm().item<double>();
  double worst = 0;
  for (int i = 0; i < std::max(1, samples); ++i) {
    const at::Tensor d = (at::rand_like(x) * 2 - 1) * radius;
    const double change = (explain(model, x + d, baseline, obj, options).to(at::kFloat) -
                           phi.to(at::kFloat)).norm().item<double>();
    if (change == 0) continue;
    worst = std::max(worst, norm > 0 ? change / norm : std::numeric_limits<double>::infinity());
  }
  return worst;
}

Curve deletion_curve(models::SegmentationModel& model, const at::Tensor& x, const at::Tensor& phi,
                     const at::Tensor& baseline, const Objective& obj, int steps, int batch) {
  return curve(model, x, phi, baseline, obj, steps, batch, true);
}

Curve insertion_curve(models::SegmentationModel& model, const at::Tensor& x, const at::Tensor& phi,
                      const at::Tensor& baseline, const Objective& obj, int steps, int batch) {
  return curve(model, x, phi, baseline, obj, steps, batch, false);
}

FaithfulnessScores faithfulness(models::SegmentationModel& model, const at::Tensor& x,
                                const at::Tensor& phi, const at::Tensor& baseline,
                                const Objective& obj, const AttributionFn& explain,
                                const MethodOptions& method_options,
                                const FaithfulnessOptions& options) {
  const Objective fixed = fix_region(model, x, obj);
  const double stddev = x.to(at::kFloat).std().item<double>();
  const double range = (x.max() - x.min()).item<double>();
  const int batch = method_options.batch;
  FaithfulnessScores s;
  s.infidelity = infidelity(model, x, phi, fixed, options.samples, options.noise * stddev, batch);
  s.max_sensitivity = max_sensitivity(model, x, phi, baseline, fixed, explain, method_options,
                                      options.samples, options.radius * range);
  const double f0 = std::abs(objective_values(model, x, fixed).item<double>());
  const double scale = f0 > 0 ? f0 : 1.0;
  s.deletion_auc = deletion_curve(model, x, phi, baseline, fixed, options.steps, batch).auc / scale;
  s.insertion_auc = insertion_curve(model, x, phi, baseline, fixed, options.steps, batch).auc / scale;
  return s;
}

}  // namespace unetx::xai
