#include "pipeline/augment.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <stdexcept>
#include <vector>

namespace unetx::pipeline {
namespace {

bool coin(std::mt19937_64& rng, double p) {
  return p > 0 && std::uniform_real_distribution<double>(0.0, 1.0)(rng) < p;
}

double uniform(std::mt19937_64& rng, double lo, double hi) {
  return std::uniform_real_distribution<double>(lo, hi)(rng);
}

// Per-channel statistic of (C, spatial...) shaped to broadcast back onto it.
at::Tensor per_channel(const at::Tensor& x, const at::Tensor& flat_stat) {
  std::vector<int64_t> shape(static_cast<size_t>(x.dim()), 1);
  shape[0] = x.size(0);
  return flat_stat.view(shape);
}

}  // namespace

AugmentOptions AugmentOptions::preset(const std::string& name) {
  AugmentOptions o;
  if (name == "none") {
    o.flips = false;
  } else if (name == "flips") {
  } else if (name == "standard" || name == "heavy") {
    o.p_rot90 = 0.2;
    o.p_rotation = 0.2;
    o.p_scale = 0.2;
    o.p_noise = 0.1;
    o.p_blur = 0.2;
    o.p_brightness = 0.15;
    o.p_contrast = 0.15;
    o.p_gamma = 0.3;
    if (name == "heavy") o.p_elastic = 0.2;
  } else {
    throw std::invalid_argument("unknown augmentation preset '" + name +
                                "' (none, flips, standard, heavy)");
  }
  return o;
}

at::Tensor adjust_brightness(const at::Tensor& x, double factor) { return x * factor; }

at::Tensor adjust_contrast(const at::Tensor& x, double factor) {
  const at::Tensor flat = x.reshape({x.size(0), -1});
  const at::Tensor mean = per_channel(x, flat.mean(1));
  const at::Tensor lo = per_channel(x, std::get<0>(flat.min(1)));
  const at::Tensor hi = per_channel(x, std::get<0>(flat.max(1)));
  return at::minimum(at::maximum(mean + (x - mean) * factor, lo), hi);
}

at::Tensor adjust_gamma(const at::Tensor& x, double gamma) {
  const at::Tensor flat = x.reshape({x.size(0), -1});
  const at::Tensor lo = per_channel(x, std::get<0>(flat.min(1)));
  const at::Tensor range = per_channel(x, std::get<0>(flat.max(1))) - lo;
  const at::Tensor safe = range.clamp_min(1e-7);
  return at::pow((x - lo) / safe, gamma) * safe + lo;
}

Augmenter::Augmenter(AugmentOptions options, int spatial_dims)
    : options_(options), spatial_dims_(spatial_dims) {}

SpatialTransform Augmenter::draw_spatial(std::mt19937_64& rng) const {
  SpatialTransform t;
  const AugmentOptions& o = options_;
  if (coin(rng, o.p_rotation)) {
    const double max = o.max_rotation_deg * M_PI / 180.0;
    for (int a = 0; a < 3; ++a) {
      const double angle = uniform(rng, -max, max);
      if (spatial_dims_ == 3 || a == 0) t.angles_zyx[a] = angle;  // 2-D: in-plane only
    }
  }
  if (coin(rng, o.p_scale)) t.scale = uniform(rng, o.scale_min, o.scale_max);
  if (coin(rng, o.p_elastic)) {
    t.elastic_alpha = o.elastic_alpha;
    t.elastic_sigma = o.elastic_sigma;
    t.elastic_seed = rng();
  }
  return t;
}

void Augmenter::flip_and_turn(at::Tensor& image, at::Tensor& label, std::mt19937_64& rng) const {
  // Label dims: 0 = z, 1 = y, 2 = x; the image has the channel first. z stays in 2-D.
  if (options_.flips) {
    for (int64_t d = spatial_dims_ == 3 ? 0 : 1; d < 3; ++d) {
      if (coin(rng, 0.5)) {
        image = image.flip({d + 1});
        label = label.flip({d});
      }
    }
  }
  if (!coin(rng, options_.p_rot90)) return;
  std::vector<std::pair<int64_t, int64_t>> planes;  // label dims of square planes
  for (auto [a, b] : {std::pair<int64_t, int64_t>{1, 2}, {0, 2}, {0, 1}}) {
    if ((spatial_dims_ == 3 || a == 1) && label.size(a) == label.size(b)) planes.push_back({a, b});
  }
  if (planes.empty()) return;
  const auto [a, b] = planes[std::uniform_int_distribution<size_t>(0, planes.size() - 1)(rng)];
  const int64_t k = std::uniform_int_distribution<int64_t>(1, 3)(rng);
  image = at::rot90(image, k, {a + 1, b + 1});
  label = at::rot90(label, k, {a, b});
}

at::Tensor Augmenter::intensity(const at::Tensor& image, std::mt19937_64& rng) const {
  const AugmentOptions& o = options_;
  at::Tensor x = image;
  if (coin(rng, o.p_noise)) {
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(rng());
    x = x + at::randn(x.sizes(), gen, x.options()) * uniform(rng, 0.0, o.noise_max_std);
  }
  if (coin(rng, o.p_blur)) {
    std::vector<double> sigma;
    for (int64_t a = 1; a < x.dim(); ++a) sigma.push_back(x.size(a) > 1 ? uniform(rng, 0.5, 1.0) : 0.0);
    x = gaussian_blur(x, sigma);
  }
  if (coin(rng, o.p_brightness)) x = adjust_brightness(x, uniform(rng, 0.75, 1.25));
  if (coin(rng, o.p_contrast)) x = adjust_contrast(x, uniform(rng, 0.75, 1.25));
  if (coin(rng, o.p_gamma)) x = adjust_gamma(x, uniform(rng, 0.7, 1.5));
  return x;
}

}  // namespace unetx::pipeline
