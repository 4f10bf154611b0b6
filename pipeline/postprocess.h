// Optional cleanup of predicted label maps (`unetx predict --largest-component --fill-holes`):
// a segmentation of one organ should be one piece without cavities, and the stray islands and
// pinholes a network leaves behind cost Dice and, far more, Hausdorff distance.
#pragma once

#include <ATen/ATen.h>

#include "pipeline/connected_components.h"

namespace unetx::pipeline {

struct PostprocessOptions {
  bool largest_component = false;  // per class, keep only its largest connected component
  bool fill_holes = false;         // background cavities enclosed by one class join that class
  Connectivity connectivity = Connectivity::kFaces;
};

// For every class c > 0 present in `labels` (integer, (Z, Y, X)), the voxels of c outside its
// largest component become background (0). Ties keep the component found first.
at::Tensor keep_largest_components(const at::Tensor& labels, Connectivity connectivity);

// A hole is a connected region of background (0) that does not touch the image border and whose
// neighbours (same connectivity) all carry one class c; its voxels become c. Background enclosed
// by two classes together is left alone: which one it belongs to is not the postprocessor's call.
at::Tensor fill_holes(const at::Tensor& labels, Connectivity connectivity);

// Applies the chosen steps, largest component first, to an integer map of (Z, Y, X) or
// (1, Z, Y, X); returns a new tensor of the same shape and dtype.
at::Tensor postprocess_labels(const at::Tensor& labels, const PostprocessOptions& options);

}  // namespace unetx::pipeline
