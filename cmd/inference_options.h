// Sliding-window options shared by predict, explain and uncertainty, declared once.
#pragma once

#include "cmd/cli.h"
#include "io/error.h"
#include "pipeline/inference.h"

namespace unetx::cli {

struct InferenceFlags {
  double overlap = 0.5;
  int window_batch = 4;
  std::string precision = "fp32";
  std::string tta = "none";
  double memory_budget_gb = 0;
  bool largest_component = false;
  bool fill_holes = false;
  int connectivity = 6;
  std::string plan;
  int prune_level = 0;
};

inline void add_inference_options(po::options_description& options, InferenceFlags& f) {
  // clang-format off
  options.add_options()
      ("overlap", po::value(&f.overlap)->default_value(f.overlap),
       "sliding-window overlap, fraction of the patch in [0, 1)")
      ("window-batch", po::value(&f.window_batch)->default_value(f.window_batch),
       "windows per forward pass")
      ("precision", po::value(&f.precision)->default_value(f.precision), "fp32 | bf16 (autocast)")
      ("tta", po::value(&f.tta)->default_value(f.tta),
       "test-time mirroring: none | all (every axis of the network: 8 predictions in 3-D, 4 in "
       "2-D) | axes such as x, xy, xyz (every combination of them); probabilities are averaged")
      ("largest-component", po::bool_switch(&f.largest_component),
       "keep only the largest connected component of each class in the label map")
      ("fill-holes", po::bool_switch(&f.fill_holes),
       "background cavities enclosed by one class become that class")
      ("connectivity", po::value(&f.connectivity)->default_value(f.connectivity),
       "neighbours that connect voxels in the two options above: 6 (faces) | 26 (all)")
      ("plan", po::value(&f.plan),
       "with a TorchScript --model (.pt from PyTorch): the plan.json whose preprocessing it expects")
      ("prune-level", po::value(&f.prune_level)->default_value(f.prune_level),
       "UNet++: run only the sub-network of this depth (1..L); 0 = the whole network");
  // clang-format on
}

// Only predict holds one case's probabilities as a whole and can go slab by slab.
inline void add_memory_budget_option(po::options_description& options, InferenceFlags& f) {
  // clang-format off
  options.add_options()
      ("memory-budget", po::value(&f.memory_budget_gb)->default_value(f.memory_budget_gb),
       "GB the class probabilities of one case may take; larger cases are predicted slab by "
       "slab along z (same result); 0 = no limit");
  // clang-format on
}

inline pipeline::InferenceOptions to_inference_options(const InferenceFlags& f) {
  if (f.overlap < 0.0 || f.overlap >= 1.0)
    throw po::error("--overlap " + std::to_string(f.overlap) + ": must be in [0, 1)");
  if (f.window_batch < 1) throw po::error("--window-batch must be at least 1");
  if (f.precision != "fp32" && f.precision != "bf16")
    throw po::error("--precision " + f.precision + ": expected fp32 or bf16");
  if (f.connectivity != 6 && f.connectivity != 26)
    throw po::error("--connectivity " + std::to_string(f.connectivity) + ": expected 6 or 26");
  if (!(f.memory_budget_gb >= 0))
    throw po::error("--memory-budget " + std::to_string(f.memory_budget_gb) + ": must be >= 0");
  pipeline::InferenceOptions o;
  try {
    o.tta = pipeline::MirrorAxes::parse(f.tta);
  } catch (const Error& e) {
    throw po::error(e.what());
  }
  o.memory_budget_gb = f.memory_budget_gb;
  o.postprocess.largest_component = f.largest_component;
  o.postprocess.fill_holes = f.fill_holes;
  o.postprocess.connectivity =
      f.connectivity == 26 ? pipeline::Connectivity::kFull : pipeline::Connectivity::kFaces;
  o.overlap = f.overlap;
  o.batch_size = f.window_batch;
  o.bf16 = f.precision == "bf16";
  return o;
}

inline pipeline::ModelLoadOptions to_model_load_options(const InferenceFlags& f) {
  if (f.prune_level < 0) throw po::error("--prune-level must be >= 0");
  pipeline::ModelLoadOptions o;
  o.plan = f.plan;
  o.prune_level = f.prune_level;
  return o;
}

}  // namespace unetx::cli
