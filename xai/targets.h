// The scalar an attribution explains. For segmentation there is no single class score, so we
// follow the usual U-Net interpretability convention (e.g. Vinogradova et al., "Towards
// interpretable semantic segmentation via gradient-weighted class activation mapping", 2020):
// explain the target-class logit summed (or averaged) over a region: by default the region the
// model itself segments as that class, or its border, a user mask, or a box (`--target`).
#pragma once

#include <ATen/ATen.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>

namespace unetx::xai {

enum class TargetKind { predicted, border, mask, box };
enum class Reduce { sum, mean };

// A parsed `--target`: predicted | border | mask:FILE | box:z0,y0,x0,z1,y1,x1.
struct TargetSpec {
  TargetKind kind = TargetKind::predicted;
  // mask: a NIfTI on the case's original grid, non-zero = region; "{case_id}" in the path is
  // replaced by the case id, so one option serves a cohort.
  std::string mask_file;
  // box: voxel indices on the original grid, (z0, y0, x0) inclusive to (z1, y1, x1) exclusive.
  std::array<int64_t, 6> box{};
};

// Throws unetx::Error("--target <text>", reason) on anything else (empty box, bad numbers).
TargetSpec parse_target(const std::string& text);
// Throws unetx::Error("--reduce <text>", ...) unless "sum" or "mean".
Reduce parse_reduce(const std::string& text);

// The mask file of `spec` for one case ("{case_id}" replaced).
std::filesystem::path target_mask_file(const TargetSpec& spec, const std::string& case_id);

// Voxels whose argmax over classes is `target_class`.
// logits: (B, K, spatial...) -> (B, spatial...) bool. Throws unetx::Error when the class is not
// in [0, K).
at::Tensor predicted_region(const at::Tensor& logits, int64_t target_class);

// Border of a region (B, spatial...) bool or {0,1}: its voxels with at least one face neighbour
// (4 in 2-D, 6 in 3-D, along every spatial axis) outside the region. Neighbours beyond the edge
// of the tensor do not count as background, so a window edge draws no false border.
// -> (B, spatial...) bool.
at::Tensor border_region(const at::Tensor& region);

// sum over the region (and over the batch) of logits[:, target_class]: a 0-d tensor that stays
// attached to the autograd graph of `logits`.
// region: (B, spatial...) bool or {0,1}; undefined = predicted_region(logits, target_class).
// An empty region gives a score of exactly 0 whose gradient is 0 everywhere, so every
// gradient-based map (Grad-CAM included) is then 0 as well: "nothing segmented, nothing to
// explain". Samples in a batch are independent in eval mode, so the gradient of the summed
// score with respect to sample b's activations is that of sample b's own score.
at::Tensor region_score(const at::Tensor& logits, int64_t target_class,
                        const at::Tensor& region = at::Tensor());

// Per-sample scores (B,): the class logit summed over each sample's region, or with
// Reduce::mean divided by the region's voxel count (an empty region scores 0 either way).
// region: (B, spatial...) as above, required. Attached to the graph of `logits`.
at::Tensor sample_scores(const at::Tensor& logits, int64_t target_class, const at::Tensor& region,
                         Reduce reduce);

}  // namespace unetx::xai
