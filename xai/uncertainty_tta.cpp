#include "xai/uncertainty_tta.h"

#include <torch/torch.h>

#include <cmath>

#include <spdlog/fmt/fmt.h>

#include "io/error.h"

namespace unetx::xai {

namespace F = torch::nn::functional;

std::string Augmentation::name() const {
  std::string s;
  for (int64_t d : flip) s += (s.empty() ? "flip" : "+") + std::to_string(d);
  if (degrees != 0) s += (s.empty() ? "" : "_") + fmt::format("rot{:+g}", degrees);
  return s.empty() ? "identity" : s;
}

std::vector<Augmentation> tta_augmentations(const pipeline::MirrorAxes& axes, int spatial_dims,
                                            double degrees) {
  pipeline::MirrorAxes use = axes;
  if (use.none()) use.all = true;
  std::vector<Augmentation> out;
  for (auto& f : pipeline::mirror_flips(use, spatial_dims)) out.push_back({f, 0.0});
  if (degrees != 0) {
    out.push_back({{}, degrees});
    out.push_back({{}, -degrees});
  }
  return out;
}

at::Tensor rotate_in_plane(const at::Tensor& batch, double degrees) {
  if (batch.dim() != 4 && batch.dim() != 5) {
    throw Error("rotate_in_plane", "needs windows (B, C, [Z,] Y, X)");
  }
  if (degrees == 0) return batch;
  const double t = degrees * M_PI / 180.0, c = std::cos(t), s = std::sin(t);
  const double w = static_cast<double>(batch.size(-1)), h = static_cast<double>(batch.size(-2));
  // affine_grid works in [-1, 1] per axis; scaling by h/w and w/h makes the rotation rigid in
  // voxels: input_x = c x - s (h/w) y, input_y = s (w/h) x + c y.
  at::Tensor theta;
  if (batch.dim() == 4) {
    theta = torch::tensor({c, -s * h / w, 0.0, s * w / h, c, 0.0}).view({1, 2, 3});
  } else {
    theta = torch::tensor({c, -s * h / w, 0.0, 0.0, s * w / h, c, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0})
                .view({1, 3, 4});
  }
  const at::Tensor x = batch.to(at::kFloat);
  theta = theta.to(x.options()).expand({x.size(0), -1, -1});
  const at::Tensor grid = F::affine_grid(theta, x.sizes().vec(), /*align_corners=*/false);
  return F::grid_sample(x, grid,
                        F::GridSampleFuncOptions()
                            .mode(torch::kBilinear)
                            .padding_mode(torch::kBorder)
                            .align_corners(false));
}

at::Tensor augment(const at::Tensor& batch, const Augmentation& a) {
  at::Tensor x = a.flip.empty() ? batch : batch.flip(a.flip);
  return rotate_in_plane(x, a.degrees);
}

at::Tensor unaugment(const at::Tensor& probs, const Augmentation& a) {
  at::Tensor p = rotate_in_plane(probs, -a.degrees);
  return a.flip.empty() ? p : p.flip(a.flip);
}

}  // namespace unetx::xai
