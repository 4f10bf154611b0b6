// Test-time augmentation as an uncertainty estimator (Wang et al. 2019): every augmentation of
// a window is one sample of the prediction; their spread is the uncertainty. Augmentations are
// mirrorings (pipeline/tta.h) and small in-plane rotations, each undone on the probabilities.
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "pipeline/tta.h"

namespace unetx::xai {

struct Augmentation {
  std::vector<int64_t> flip;  // tensor dims of a window (B, C, [Z,] Y, X) to mirror; may be empty
  double degrees = 0;         // rotation in the y-x plane (about z), counter-clockwise
  std::string name() const;   // "identity", "flip3", "flip2+3", "rot+10", ...
};

// Every combination of the mirror axes (`axes`, all of the network's axes when axes.none()),
// identity first, then a rotation by +degrees and one by -degrees when degrees != 0:
// 2^D (+ 2) augmentations for D spatial dims. Throws unetx::Error("--tta", ...) as mirror_flips.
std::vector<Augmentation> tta_augmentations(const pipeline::MirrorAxes& axes, int spatial_dims,
                                            double degrees);

// Rotates windows (B, C, [Z,] Y, X) by `degrees` in the y-x plane about the window centre, in
// physical voxel units (non-square windows are not sheared): bilinear, border values repeated.
at::Tensor rotate_in_plane(const at::Tensor& batch, double degrees);

// The augmentation applied to windows, and its inverse applied to per-window probabilities.
at::Tensor augment(const at::Tensor& batch, const Augmentation& a);
at::Tensor unaugment(const at::Tensor& probs, const Augmentation& a);

}  // namespace unetx::xai
