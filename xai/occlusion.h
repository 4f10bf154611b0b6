// Occlusion sensitivity (Zeiler & Fergus 2014) and the MHEX+ equivalent-kernel CAM of EU-Net:
// the two attribution methods that need no gradient.
#pragma once

#include <string>

#include "xai/attribution.h"

namespace unetx::xai {

// For every position of an options.window patch moved by options.stride over the spatial axes
// (the last position touching the far edge), the drop f(x) - f(x with the patch replaced by the
// baseline); a voxel's attribution is the mean drop over the patches that cover it. Region fixed
// at x; options.batch occluded inputs per pass. 2-D inputs use the (y, x) parts of window and
// stride. Returns (B, 1, spatial...).
at::Tensor occlusion(models::SegmentationModel& model, const at::Tensor& x, const at::Tensor& baseline,
                     const Objective& obj, const MethodOptions& options);

// EU-Net's class activation map of the target class from the finest MHEX+ module ("mhex.0.cam",
// or the "mhex.i.cam" tap options.layer names): the equivalent kernel W_b W_a applied to the
// decoder features, ReLU'd; one forward pass, no gradient. Ignores the region (a CAM is
// per voxel). Throws unetx::Error("--method mhex_cam", ...) for a model without MHEX+ taps.
// Returns (B, 1, spatial...) (upsampled to x's size when the tap is coarser).
// The tap mhex_cam reads for `layer`; throws the error above when the model lacks it.
std::string mhex_cam_available(const models::SegmentationModel& model,
                               const std::string& layer = "");
at::Tensor mhex_cam(models::SegmentationModel& model, const at::Tensor& x, const at::Tensor& baseline,
                    const Objective& obj, const MethodOptions& options);

}  // namespace unetx::xai
