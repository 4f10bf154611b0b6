// Training-time augmentation, drawn per patch from the sampler's seeded generator so a run is
// reproducible from --seed: spatial (flips, 90-degree rotations, arbitrary rotations, scaling,
// optional elastic deformation, see spatial_augment.h) and intensity (Gaussian noise and blur,
// brightness, contrast, gamma). Probabilities and ranges follow nnU-Net's defaults, which were
// tuned on z-scored medical images; each transform is off when its probability is 0.
#pragma once

#include <ATen/ATen.h>

#include <random>
#include <string>

#include "pipeline/spatial_augment.h"

namespace unetx::pipeline {

struct AugmentOptions {
  bool flips = true;            // each spatial axis with p = 0.5 (z only in 3-D)
  double p_rot90 = 0.0;         // a quarter turn k in {1,2,3} in a plane whose two sides are equal
  double p_rotation = 0.0;      // arbitrary rotation, each angle uniform in +-max_rotation_deg
  double max_rotation_deg = 30.0;
  double p_scale = 0.0;         // zoom, uniform in [scale_min, scale_max]
  double scale_min = 0.7, scale_max = 1.4;
  double p_elastic = 0.0;       // elastic deformation (alpha, sigma in voxels)
  double elastic_alpha = 4.0, elastic_sigma = 8.0;
  double p_noise = 0.0;         // additive Gaussian noise, std uniform in [0, noise_max_std]
  double noise_max_std = 0.3;
  double p_blur = 0.0;          // Gaussian blur, sigma uniform in [0.5, 1] voxels
  double p_brightness = 0.0;    // multiply by a factor uniform in [0.75, 1.25]
  double p_contrast = 0.0;      // stretch about the mean by [0.75, 1.25], clipped to the range
  double p_gamma = 0.0;         // gamma uniform in [0.7, 1.5] on the min-max rescaled patch

  // Presets for --augment: "none", "flips" (the default), "standard" (everything above except
  // elastic, at nnU-Net's probabilities), "heavy" (standard + elastic). Throws
  // std::invalid_argument for another name.
  static AugmentOptions preset(const std::string& name);
};

// Intensity transforms of an image patch (C, spatial...), per channel where a statistic is used.
at::Tensor adjust_brightness(const at::Tensor& x, double factor);
// mean + (x - mean) * factor, then clipped to the channel's original [min, max].
at::Tensor adjust_contrast(const at::Tensor& x, double factor);
// ((x - min) / (max - min))^gamma * (max - min) + min: the range is kept, the shape bends.
at::Tensor adjust_gamma(const at::Tensor& x, double gamma);

class Augmenter {
 public:
  Augmenter(AugmentOptions options, int spatial_dims);

  // The resampling transform of the next patch (identity when no spatial draw fires).
  SpatialTransform draw_spatial(std::mt19937_64& rng) const;
  // Flips and quarter turns of an extracted patch: image (C, pz, py, px), label (pz, py, px).
  void flip_and_turn(at::Tensor& image, at::Tensor& label, std::mt19937_64& rng) const;
  // Noise, blur, brightness, contrast, gamma, in that order, each with its probability.
  at::Tensor intensity(const at::Tensor& image, std::mt19937_64& rng) const;

  const AugmentOptions& options() const { return options_; }

 private:
  AugmentOptions options_;
  int spatial_dims_;
};

}  // namespace unetx::pipeline
