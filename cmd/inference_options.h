// Sliding-window options shared by predict, explain and uncertainty, declared once.
#pragma once

#include "cmd/cli.h"
#include "pipeline/inference.h"

namespace unetx::cli {

struct InferenceFlags {
  double overlap = 0.5;
  int window_batch = 4;
  std::string precision = "fp32";
};

inline void add_inference_options(po::options_description& options, InferenceFlags& f) {
  // clang-format off
  options.add_options()
      ("overlap", po::value(&f.overlap)->default_value(f.overlap),
       "sliding-window overlap, fraction of the patch in [0, 1)")
      ("window-batch", po::value(&f.window_batch)->default_value(f.window_batch),
       "windows per forward pass")
      ("precision", po::value(&f.precision)->default_value(f.precision), "fp32 | bf16 (autocast)");
  // clang-format on
}

inline pipeline::InferenceOptions to_inference_options(const InferenceFlags& f) {
  if (f.overlap < 0.0 || f.overlap >= 1.0)
    throw po::error("--overlap " + std::to_string(f.overlap) + ": must be in [0, 1)");
  if (f.window_batch < 1) throw po::error("--window-batch must be at least 1");
  if (f.precision != "fp32" && f.precision != "bf16")
    throw po::error("--precision " + f.precision + ": expected fp32 or bf16");
  pipeline::InferenceOptions o;
  o.overlap = f.overlap;
  o.batch_size = f.window_batch;
  o.bf16 = f.precision == "bf16";
  return o;
}

}  // namespace unetx::cli
