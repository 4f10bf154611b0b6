// `unetx explain`: cohort + checkpoint -> per case and attribution method a map on the original
// image grid (<case_id>_<method>.nii.gz) and a PNG overlay of its most representative slice
// (<case_id>_<method>.png: image, heat map, predicted contour), + manifest.csv with one row per
// case and a column per map (<method>) and overlay (<method>_overlay); "map" and "overlay"
// repeat the first method's (what `unetx evaluate --attributions` reads). With faithfulness on,
// <case_id>_faithfulness.csv per case and <output>/faithfulness.csv (case_id, method,
// infidelity, max_sensitivity, deletion_auc, insertion_auc; one row per case and method).
// With excitations on, <output>/excitations.json (per stage: channel mean and variance, linear
// excitation threshold at delta = 0.95).
#pragma once

#include <filesystem>
#include <string>

#include "distributed/communicator.h"
#include "pipeline/cohort_runner.h"
#include "pipeline/inference.h"
#include "xai/explain_case.h"

namespace unetx::xai {

struct ExplainSettings {
  std::filesystem::path input;
  std::filesystem::path output;
  std::filesystem::path model;
  std::string methods = "gradcam";  // comma-separated registry names (methods.h)
  // Method options; layer: tap for gradcam / guided_gradcam, empty = decoder.1 (or decoder.0),
  // "all" = one map per encoder/decoder stage.
  MethodOptions method;
  std::string target = "predicted";  // predicted | border | mask:FILE | box:z0,y0,x0,z1,y1,x1
  std::string reduce = "sum";        // sum | mean of the class logits over the region
  // zeros | blur | FILE: the reference input of DeepLIFT, IG and occlusion and the deletion /
  // insertion background. zeros and blur are in the normalized intensity space (zero = the
  // channel's normalization centre); FILE is an image on each case's original grid, prepared
  // like the case (it must give the same plan grid).
  std::string baseline = "zeros";
  int64_t target_class = 1;  // explains this class's score over the target region
  bool faithfulness = false;
  // Squeeze-and-excitation models: per case <case_id>_excitations.pt (sums of the channel gates
  // of every window) and <output>/excitations.json over the cohort (excitation.h).
  bool excitations = false;
  FaithfulnessOptions faithfulness_options;
  pipeline::InferenceOptions inference;
  pipeline::ModelLoadOptions model_load;  // TorchScript plan, UNet++ pruning
  std::string device = "cpu";
  uint64_t seed = 0;  // random perturbations (SmoothGrad, faithfulness); per case seed + index
};

// Throws unetx::Error for an unusable option (unknown method, target, reduce; class not a
// foreground class of the model; mhex_cam on a model without MHEX+) before any case runs.
pipeline::RunSummary run_explain(const ExplainSettings& settings, dist::Communicator& comm);

}  // namespace unetx::xai
