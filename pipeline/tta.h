// Test-time augmentation by mirroring, as in nnU-Net: every window is predicted as it is and
// mirrored along chosen spatial axes, each prediction is mirrored back, and the class
// probabilities are averaged. Done per window (not per volume) so it composes with the sliding
// window's Gaussian blending, with ensembles and with slab-wise inference without a second
// full-size probability volume.
#pragma once

#include <ATen/ATen.h>

#include <functional>
#include <string>
#include <vector>

namespace unetx::pipeline {

// The spatial axes test-time augmentation mirrors; every combination of them is predicted (x and
// y: as is, x, y, xy). `all` is every spatial axis of the network, resolved once its dimension is
// known: x, y (4 predictions) for a 2-D network, x, y, z (8) for a 3-D one.
struct MirrorAxes {
  bool x = false;
  bool y = false;
  bool z = false;
  bool all = false;

  bool none() const { return !all && !x && !y && !z; }
  // "none" | "all" | letters from "xyz" in any order ("x", "xy", "zx"). Throws
  // unetx::Error("--tta", reason) for anything else.
  static MirrorAxes parse(const std::string& text);
  std::string to_string() const;  // the canonical spelling parse accepts: "none", "all", "xz"
};

// The mirrorings applied to windows (B, C, [Z,] Y, X) of a network with `spatial_dims` (2 or 3):
// each is the list of tensor dims to flip; the first is the identity (no dims). Throws
// unetx::Error("--tta", ...) for z with a 2-D network, whose windows are single slices.
std::vector<std::vector<int64_t>> mirror_flips(const MirrorAxes& axes, int spatial_dims);

// mean over f in `flips` of flip_f(predict(flip_f(batch))). `predict` maps (B, C, spatial...) to
// (B, K, spatial...) float32; so does the result.
at::Tensor mirrored_mean(const at::Tensor& batch, const std::vector<std::vector<int64_t>>& flips,
                         const std::function<at::Tensor(const at::Tensor&)>& predict);

}  // namespace unetx::pipeline
