// `unetx preprocess`: cohort -> plan.json + every case resampled to the plan grid and
// normalized, stored uncompressed for fast reads, + manifest.csv listing them.
#pragma once

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "distributed/communicator.h"
#include "pipeline/cohort_runner.h"

namespace unetx::pipeline {

struct PreprocessSettings {
  std::filesystem::path input;  // cohort manifest / dataset.json / folder
  std::filesystem::path output;
  std::optional<std::array<double, 3>> target_spacing;  // (x, y, z) mm; default: median
  int spatial_dims = 3;                                 // 2: slice-wise network along z
  std::optional<std::array<int64_t, 3>> patch_size;     // (x, y, z); default from data
  int batch_size = 0;                                   // 0: 2 for 3-D, 8 for 2-D
  std::vector<int64_t> features{32, 64, 128, 256};      // U-Net widths, last = bottleneck
  double dropout = 0.1;                                 // > 0 so MC-dropout can sample
  std::string norm = "instance";
  std::vector<std::string> label_names;  // default: background, label_1, ...
};

// Plans from the cohort's fingerprint (spacings, sizes, channels, highest label value), then
// preprocesses every case (skipping those a previous run finished) and writes plan.json.
RunSummary run_preprocess(const PreprocessSettings& settings, dist::Communicator& comm);

}  // namespace unetx::pipeline
