// `unetx preprocess`: cohort -> dataset fingerprint -> plan.json + every case cropped to its
// nonzero box, resampled to the plan grid and normalized, stored uncompressed (.nii) for fast
// reads, with the geometry that maps it back (cases/<id>.json) + manifest.csv listing them.
#pragma once

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "distributed/communicator.h"
#include "pipeline/cohort_runner.h"
#include "pipeline/fingerprint.h"
#include "pipeline/plan.h"

namespace unetx::pipeline {

struct PreprocessSettings {
  std::filesystem::path input;  // cohort manifest / dataset.json / folder
  std::filesystem::path output;
  std::optional<std::array<double, 3>> target_spacing;  // (x, y, z) mm; default: plan_rules.h
  int spatial_dims = 3;                                 // 2: slice-wise network along z
  std::optional<std::array<int64_t, 3>> patch_size;     // (x, y, z); default: memory budget
  int batch_size = 0;                                   // 0: from the memory budget
  // U-Net widths, last = bottleneck: the widest network allowed; the patch decides the depth
  // and the pooling of each axis (plan_rules.h plan_pooling) and the plan keeps the first
  // `depth` entries.
  std::vector<int64_t> features{32, 64, 128, 256};
  double dropout = 0.1;                                 // > 0 so MC-dropout can sample
  std::string norm = "instance";
  std::vector<std::string> label_names;  // default: background, label_1, ...
  // Per-channel scheme ("zscore" | "zscore_nonzero" | "ct"): empty = from the modality (CT:
  // "ct", anything else: "zscore"); one entry = every channel; else one entry per channel.
  std::vector<std::string> normalization;
  double memory_budget_gb = 4.0;  // training memory (GB = 1e9 bytes) patch and batch must fit
  bool crop_to_nonzero = true;
  std::string orientation = "LPS";  // "LPS" (canonical axes, orientation.h) or "native"
};

// The plan for a fingerprinted cohort under `settings` (every decision of plan_rules.h, each
// overridable). Throws unetx::Error on a setting that does not fit the cohort (normalization
// entries vs channels, "ct" without foreground intensities).
Plan make_plan(const DatasetFingerprint& fingerprint, const PreprocessSettings& settings);

// Fingerprints the cohort, plans, then preprocesses every case (skipping those a previous run
// finished) and writes plan.json.
RunSummary run_preprocess(const PreprocessSettings& settings, dist::Communicator& comm);

}  // namespace unetx::pipeline
