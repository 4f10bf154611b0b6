#include "pipeline/patch_sampler.h"

#include <algorithm>
#include <tuple>
#include <string>

#include "io/error.h"

namespace unetx::pipeline {

namespace {

// Copies the part of `src` (N, Z, Y, X) inside the box starting at `start` (z, y, x) with size
// `patch` into a zero tensor of that box; positions outside `src` stay zero.
at::Tensor crop_padded(const at::Tensor& src, const std::array<int64_t, 3>& start,
                       const std::array<int64_t, 3>& patch, at::ScalarType dtype) {
  auto out = at::zeros({src.size(0), patch[0], patch[1], patch[2]}, src.options().dtype(dtype));
  at::Tensor from = src;
  at::Tensor to = out;
  for (int a = 0; a < 3; ++a) {
    const int64_t n = src.size(a + 1);
    const int64_t lo = std::max<int64_t>(start[a], 0);
    const int64_t hi = std::min<int64_t>(start[a] + patch[a], n);
    if (hi <= lo) return out;
    from = from.slice(a + 1, lo, hi);
    to = to.slice(a + 1, lo - start[a], hi - start[a]);
  }
  to.copy_(from);
  return out;
}

}  // namespace

PatchSampler::PatchSampler(PatchSamplerOptions options, uint64_t seed)
    : options_(options), augmenter_(options.augment, options.spatial_dims), rng_(seed) {
  if (options_.spatial_dims != 2 && options_.spatial_dims != 3) {
    throw Error("", "patch sampler: spatial_dims must be 2 or 3");
  }
  for (int a = 0; a < 3; ++a) {
    if (options_.patch_xyz[a] < 1) throw Error("", "patch sampler: patch size must be >= 1");
  }
  if (options_.spatial_dims == 2 && options_.patch_xyz[2] != 1) {
    throw Error("", "patch sampler: a 2-D patch needs z = 1");
  }
}

bool PatchSampler::coin(double p_true) {
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_) < p_true;
}

int64_t PatchSampler::random_start(int64_t n, int64_t p) {
  const int64_t lo = std::min<int64_t>(0, n - p);
  const int64_t hi = std::max<int64_t>(0, n - p);
  return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
}

int64_t PatchSampler::centred_start(int64_t n, int64_t p, int64_t voxel) {
  const int64_t jitter = p / 4;
  const int64_t offset = std::uniform_int_distribution<int64_t>(-jitter, jitter)(rng_);
  const int64_t start = voxel - p / 2 + offset;
  // The clamp keeps the voxel inside: |offset| <= p/4 < p/2 leaves it in [start, start + p).
  return std::clamp<int64_t>(start, std::min<int64_t>(0, n - p), std::max<int64_t>(0, n - p));
}

std::pair<at::Tensor, at::Tensor> PatchSampler::sample(const at::Tensor& image,
                                                       const at::Tensor& label) {
  if (image.dim() != 4 || label.dim() != 4 || label.size(0) != 1 ||
      image.sizes().slice(1) != label.sizes().slice(1)) {
    throw Error("", "patch sampler: need image (C, Z, Y, X) and label (1, Z, Y, X) of one size");
  }
  const std::array<int64_t, 3> n{image.size(1), image.size(2), image.size(3)};
  const std::array<int64_t, 3> p{options_.patch_xyz[2], options_.patch_xyz[1],
                                 options_.patch_xyz[0]};
  std::array<int64_t, 3> start{};
  bool centred = false;
  if (options_.foreground_fraction > 0 && coin(options_.foreground_fraction)) {
    const auto fg = label.reshape({-1}).gt(0).nonzero();
    if (fg.size(0) > 0) {
      const int64_t pick = std::uniform_int_distribution<int64_t>(0, fg.size(0) - 1)(rng_);
      int64_t flat = fg[pick][0].item<int64_t>();
      const std::array<int64_t, 3> voxel{flat / (n[1] * n[2]), (flat / n[2]) % n[1], flat % n[2]};
      for (int a = 0; a < 3; ++a) start[a] = centred_start(n[a], p[a], voxel[a]);
      centred = true;
    }
  }
  if (!centred) {
    for (int a = 0; a < 3; ++a) start[a] = random_start(n[a], p[a]);
  }
  at::Tensor img, lab;
  const SpatialTransform transform = augmenter_.draw_spatial(rng_);
  if (transform.is_identity()) {
    img = crop_padded(image, start, p, at::kFloat);
    lab = crop_padded(label, start, p, at::kLong).squeeze(0);
  } else {
    // Resampled from the whole case about the same centre, so corners hold image, not padding.
    std::array<double, 3> centre{};
    for (int a = 0; a < 3; ++a) centre[a] = static_cast<double>(start[a]) + (p[a] - 1) / 2.0;
    std::tie(img, lab) = resample_patch(
        image, label, sampling_coordinates(centre, p, transform, options_.spatial_dims));
  }
  augmenter_.flip_and_turn(img, lab, rng_);
  img = augmenter_.intensity(img, rng_);
  if (options_.spatial_dims == 2) {
    img = img.squeeze(1);
    lab = lab.squeeze(0);
  }
  return {img.contiguous(), lab.contiguous()};
}

std::pair<at::Tensor, at::Tensor> PatchSampler::batch(const std::vector<const PreparedCase*>& cases,
                                                      int batch_size) {
  if (cases.empty() || batch_size < 1) {
    throw Error("", "patch sampler: need at least one case and batch_size >= 1");
  }
  std::vector<at::Tensor> images, labels;
  std::uniform_int_distribution<size_t> pick(0, cases.size() - 1);
  for (int b = 0; b < batch_size; ++b) {
    const PreparedCase& c = *cases[pick(rng_)];
    if (!c.label.defined()) throw Error(c.id, "no label: training needs reference labels");
    auto [img, lab] = sample(c.image, c.label);
    images.push_back(img);
    labels.push_back(lab);
  }
  return {at::stack(images), at::stack(labels)};
}

}  // namespace unetx::pipeline
