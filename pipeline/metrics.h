// Overlap metrics between a predicted and a reference label map.
//
// Convention for empty structures (the label is absent from prediction and/or reference):
//  - Dice and IoU are 1 when both are empty (nothing to find, nothing found) and 0 when exactly
//    one of them is empty.
//  - Precision is 1 when nothing was predicted and nothing was there, 0 when nothing was
//    predicted but something was there; recall likewise with the roles swapped.
//  - Specificity is 1 when there is no background voxel and none was called the label.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace unetx::pipeline {

// Voxel counts of one label: true/false positives/negatives.
struct Overlap {
  int64_t tp = 0, fp = 0, fn = 0, tn = 0;

  double dice() const;         // 2 tp / (2 tp + fp + fn)
  double iou() const;          // tp / (tp + fp + fn)
  double precision() const;    // tp / (tp + fp)
  double recall() const;       // tp / (tp + fn)
  double specificity() const;  // tn / (tn + fp); 1 when every voxel is the label and none missed
};

// Counts for `label` in two integer (or bool) label maps of the same shape. Throws unetx::Error
// on a shape mismatch or floating-point input.
Overlap overlap(const at::Tensor& pred, const at::Tensor& ref, int64_t label);

// Dice of labels 1 .. num_classes - 1 (background 0 skipped): element i is label i + 1.
std::vector<double> dice_per_class(const at::Tensor& pred, const at::Tensor& ref,
                                   int64_t num_classes);

}  // namespace unetx::pipeline
