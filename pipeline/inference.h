// Whole-case inference on the plan grid: Gaussian-weighted sliding windows over a prepared
// image, batched, for 2-D (slice-wise) and 3-D networks alike.
#pragma once

#include <ATen/ATen.h>

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "io/manifest.h"
#include "io/volume.h"
#include "models/segmentation_model.h"
#include "pipeline/case_prep.h"
#include "pipeline/plan.h"
#include "pipeline/postprocess.h"
#include "pipeline/sliding_window.h"
#include "pipeline/tta.h"

namespace unetx::pipeline {

struct InferenceOptions {
  double overlap = 0.5;  // fraction of the patch shared by neighbouring windows
  int batch_size = 4;    // windows per forward pass
  bool bf16 = false;     // bfloat16 autocast on the CPU
  MirrorAxes tta;        // test-time mirroring; probabilities averaged over every combination
  PostprocessOptions postprocess;  // applied to the label map (not to the probabilities)
  // GB (1e9 bytes) the class probabilities of one case may take in predict_case; 0 = no limit.
  // A case whose whole-volume path would need more is predicted slab by slab along z
  // (slab_inference.h); the image and the uint8 label map are not counted.
  double memory_budget_gb = 0;
  // Slab-wise path only: also assemble CasePrediction::probs_original (K float32 volumes on the
  // original grid, beyond the budget). The whole-volume path always returns its probabilities.
  bool keep_probabilities = false;
  // Where the slab-wise path keeps those probabilities: empty, in memory; a folder, in an
  // unnamed file mapping there that pages to disk (slab_inference.h), so they stay outside the
  // budget's memory. `predict --save-probabilities` points it at the output folder.
  std::filesystem::path probabilities_scratch_dir;
};

// The networks a prediction averages: one, or the members of an ensemble sharing one plan (the
// folds of a cross-validation). All have the same input channels, classes and dimension.
using Networks = std::vector<models::SegmentationModel*>;

// Softmax probabilities (K, Z, Y, X) float32 for a prepared image (C, Z, Y, X) on the plan grid,
// averaged over options.tta's mirrorings. Runs under NoGradGuard; the model's train/eval mode is
// left as the caller set it (MC dropout).
at::Tensor predict_probabilities(models::SegmentationModel& model, const at::Tensor& image,
                                 const Plan& plan, const InferenceOptions& options = {});
// The same averaged over the networks as well (each window: mean over networks and mirrorings).
at::Tensor predict_probabilities(const Networks& networks, const at::Tensor& image,
                                 const Plan& plan, const InferenceOptions& options = {});

// Per-window class probabilities of `networks` averaged over options.tta's mirrorings, the
// window function the two above blend. Throws unetx::Error("--tta", ...) when the mirror axes
// do not fit the plan's dimension (z with a 2-D network).
WindowFn probability_window_fn(const Networks& networks, const Plan& plan,
                               const InferenceOptions& options);

// Same tiling for any per-window map `fn` (logits, CAMs): fn gets (B, C, spatial...) windows
// and returns (B, K, spatial...); the result is (K, Z, Y, X) on the plan grid.
at::Tensor per_window(const at::Tensor& image, int64_t out_channels, const Plan& plan,
                      const InferenceOptions& options,
                      const std::function<at::Tensor(const at::Tensor&)>& fn);

// The sliding-window settings the plan and the options fix.
SlidingWindowOptions sliding_window_options(const Plan& plan, const InferenceOptions& options);

// A checkpoint ready for inference: the network in eval mode on its device, and the plan it was
// trained with (which fixes spacing, normalization and patch size).
struct InferenceModel {
  models::ModelPtr model;
  Plan plan;
  std::string device = "cpu";
};

// How the network is obtained, beyond its file.
struct ModelLoadOptions {
  // Set: the file is a TorchScript module (scripted/traced in PyTorch), run with this plan's
  // preprocessing and patch size (plan.json from `unetx preprocess`); its spatial dims, input
  // channels and classes come from the plan unless the module declares them.
  std::filesystem::path plan;
  int prune_level = 0;  // UNet++ only: run the sub-network of this depth (1..L); 0 = whole
};

// Throws unetx::Error naming the file when it is missing, not a unetx checkpoint (nor, with
// options.plan, a TorchScript module), or when prune_level is set for a model that is not UNet++.
InferenceModel load_inference_model(const std::filesystem::path& checkpoint,
                                    const std::string& device = "cpu",
                                    const ModelLoadOptions& options = {});

// One case through the whole chain: read its channels, prepare them on the plan grid, predict,
// and map the probabilities back to the case's original image grid.
struct CasePrediction {
  io::Volume image;           // as read, original grid
  PreparedCase prepared;      // on the plan grid
  at::Tensor probs;           // (K, Z, Y, X) on the plan grid; undefined when slab-wise
  at::Tensor probs_original;  // (K, Z, Y, X) on the original grid; undefined when slab-wise
                              // unless options.keep_probabilities
  io::Volume labels;          // (1, Z, Y, X) uint8 argmax on the original grid, postprocessed
  int slabs = 0;              // plan-grid slabs of the slab-wise path; 0: whole volume at once
};
CasePrediction predict_case(InferenceModel& m, const io::Case& c,
                            const InferenceOptions& options = {});
// The same for an image already read (e.g. a DICOM series whose UIDs the caller also needs).
CasePrediction predict_case(InferenceModel& m, const std::string& id, io::Volume image,
                            const InferenceOptions& options = {});
// The same for the networks of an ensemble sharing `plan`. Throws unetx::Error(id, ...) naming
// both counts when the image's channels are not the networks' input channels.
CasePrediction predict_case(const Networks& networks, const Plan& plan, const std::string& id,
                            io::Volume image, const InferenceOptions& options = {});

// Scoped bfloat16 CPU autocast (no-op when `on` is false); restores the previous state.
class Bf16Autocast {
 public:
  explicit Bf16Autocast(bool on);
  ~Bf16Autocast();
  Bf16Autocast(const Bf16Autocast&) = delete;
  Bf16Autocast& operator=(const Bf16Autocast&) = delete;

 private:
  bool on_;
  bool was_enabled_ = false;
};

}  // namespace unetx::pipeline
