#include "xai/uncertainty_batched.h"

#include <torch/torch.h>

#include <algorithm>
#include <limits>
#include <sstream>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "io/error.h"

namespace unetx::xai {
namespace {

using Zyx = std::array<int64_t, 3>;

// Running statistics over samples (B, K, spatial...) of the same windows, in the order and with
// the updates of sample_statistics, so both agree bit for bit on one window.
class Welford {
 public:
  void add(const at::Tensor& p) {
    const at::Tensor h = batch_entropy(p);
    ++n_;
    if (n_ == 1) {
      mean_ = p.clone();
      m2_ = at::zeros_like(p);
      mean_entropy_ = h;
      return;
    }
    const double w = 1.0 / n_;
    const at::Tensor delta = p - mean_;
    mean_.add_(delta, w);
    m2_.addcmul_(delta, p - mean_);
    mean_entropy_.add_(h - mean_entropy_, w);
  }
  // (B, K + 2, spatial...): mean, mutual information, variance.
  at::Tensor finish() const {
    const at::Tensor mi = (batch_entropy(mean_) - mean_entropy_).clamp_min(0);
    const at::Tensor var = (m2_ / n_).clamp_min(0).mean(1, /*keepdim=*/true);
    return at::cat({mean_, mi, var}, 1);
  }

 private:
  // entropy() per window: (B, K, spatial...) -> (B, 1, spatial...).
  static at::Tensor batch_entropy(const at::Tensor& p) {
    return entropy(p.transpose(0, 1)).transpose(0, 1);
  }
  at::Tensor mean_, m2_, mean_entropy_;
  int n_ = 0;
};

// (B, 1, spatial...) float32: 1 where the sample predicts foreground (argmax != 0; K = 1:
// p >= 0.5), as foreground_voxels counts it.
at::Tensor foreground(const at::Tensor& p) { return foreground_mask(p, 1).to(at::kFloat); }

void check_samples(const at::Tensor& s, const at::Tensor& windows, int count, int64_t classes) {
  const bool ok = s.defined() && s.dim() == windows.dim() + 1 && s.size(0) == count &&
                  s.size(1) == windows.size(0) && s.size(2) == classes &&
                  s.sizes().slice(3) == windows.sizes().slice(2);
  if (ok) return;
  std::ostringstream msg;
  msg << "sample function returned shape "
      << (s.defined() ? c10::str(s.sizes()) : std::string("undefined")) << " for " << count
      << " samples of windows " << windows.sizes() << " and " << classes << " classes";
  throw Error("uncertainty", msg.str());
}

// Total Gaussian weight per padded voxel, and the same with +inf in the padding, so that
// weight / it is a window's share of each voxel of the case and 0 outside the case.
std::pair<at::Tensor, at::Tensor> weight_sums(const pipeline::WindowGrid& grid,
                                              const at::Tensor& weight,
                                              const at::TensorOptions& opts) {
  const Zyx& n = grid.padded;
  at::Tensor sum = at::zeros({1, n[0], n[1], n[2]}, opts);
  for (const auto& s : grid.starts) pipeline::window_box(sum, s, grid.patch).add_(weight);
  at::Tensor inside = at::full_like(sum, std::numeric_limits<float>::infinity());
  pipeline::window_box(inside, grid.pad_lo, grid.size).copy_(pipeline::window_box(sum, grid.pad_lo, grid.size));
  return {sum, inside};
}

}  // namespace

at::Tensor window_sample_statistics(const at::Tensor& samples) {
  if (samples.dim() < 4 || samples.size(0) < 1) {
    throw Error("uncertainty", "samples must be (N >= 1, B, K, spatial...)");
  }
  Welford w;
  for (int64_t t = 0; t < samples.size(0); ++t) w.add(samples[t].to(at::kFloat));
  return w.finish();
}

SampleStatistics windowed_sample_statistics(const at::Tensor& image, int64_t classes,
                                            const pipeline::SlidingWindowOptions& options,
                                            int samples, int max_chunk, const SampleBatchFn& fn) {
  if (samples < 1) {
    throw Error("--samples", "must be at least 1, got " + std::to_string(samples));
  }
  if (image.dim() != 4) throw Error("uncertainty", "image must be (C, Z, Y, X)");
  max_chunk = std::max(1, max_chunk);
  torch::NoGradGuard no_grad;
  const pipeline::WindowGrid grid =
      pipeline::window_grid({image.size(1), image.size(2), image.size(3)}, options);
  const at::Tensor x = pipeline::pad_to_grid(image, grid);
  const Zyx& p = grid.patch;
  const at::Tensor weight = pipeline::gaussian_importance({p[2], p[1], p[0]}).to(x.device());
  at::Tensor wsum, share_den;
  std::tie(wsum, share_den) = weight_sums(grid, weight, x.options());
  const int64_t stats = classes + 2;
  auto per_window = [&](const at::Tensor& windows) {
    Welford w;
    std::vector<at::Tensor> fg;
    for (int first = 0; first < samples; first += max_chunk) {
      const int count = std::min(max_chunk, samples - first);
      const at::Tensor s = fn(windows, first, count).to(at::kFloat);
      check_samples(s, windows, count, classes);
      for (int t = 0; t < count; ++t) {
        w.add(s[t]);
        fg.push_back(foreground(s[t]));
      }
    }
    return at::cat({w.finish(), at::cat(fg, 1)}, 1);
  };
  const Zyx& n = grid.padded;
  at::Tensor acc = at::zeros({stats, n[0], n[1], n[2]}, x.options());
  at::Tensor volumes = at::zeros({samples}, x.options().dtype(at::kDouble));
  pipeline::run_windows(x, grid, stats + samples, options, per_window,
                        [&](size_t i, const at::Tensor& out) {
                          const Zyx& s = grid.starts[i];
                          pipeline::window_box(acc, s, p).add_(out.slice(0, 0, stats) * weight);
                          const at::Tensor share = weight / pipeline::window_box(share_den, s, p);
                          volumes.add_((out.slice(0, stats) * share)
                                           .sum({1, 2, 3}, false, at::kDouble));
                        });
  acc.div_(wsum);
  const at::Tensor v = pipeline::window_box(acc, grid.pad_lo, grid.size).contiguous();
  SampleStatistics r;
  r.mean_probs = v.slice(0, 0, classes).contiguous();
  r.entropy = entropy(r.mean_probs);
  r.mutual_information = v.slice(0, classes, classes + 1).clamp_min(0);
  r.variance = v.slice(0, classes + 1, classes + 2).clamp_min(0);
  r.mean_entropy = mean_over(r.entropy);
  const at::Tensor vol = volumes.contiguous();
  r.foreground_voxels.assign(vol.data_ptr<double>(), vol.data_ptr<double>() + samples);
  return r;
}

}  // namespace unetx::xai
