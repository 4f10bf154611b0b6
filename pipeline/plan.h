// Plan: the dataset fingerprint and every decision preprocess made, written once as plan.json
// and read (never edited) by train, predict, explain, uncertainty. Versioned: a plan from a newer
// unetx is refused with a message, a missing plan says which command makes it.
#pragma once

#include <array>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace unetx::pipeline {

struct Plan {
  static constexpr int kFormatVersion = 1;

  // Fingerprint of the cohort the plan was made from (informational).
  int num_cases = 0;
  std::array<double, 3> median_spacing{1, 1, 1};  // (x, y, z) mm
  std::array<int64_t, 3> median_size{0, 0, 0};    // (x, y, z) voxels

  // Decisions.
  std::array<double, 3> target_spacing{1, 1, 1};  // (x, y, z) mm
  std::string normalization = "zscore";           // per-case, per-channel z-score
  int in_channels = 1;
  std::vector<std::string> labels{"background", "foreground"};  // index = label value
  int spatial_dims = 3;                           // 3: volumetric network; 2: slice-wise along z
  std::array<int64_t, 3> patch_size{64, 64, 64};  // (x, y, z) voxels; z = 1 when spatial_dims = 2
  int batch_size = 2;
  nlohmann::json network = {{"name", "unet"}};  // model config for models::make_model

  int num_classes() const { return static_cast<int>(labels.size()); }

  nlohmann::json to_json() const;
  static Plan from_json(const nlohmann::json& j);  // throws unetx::Error on bad/newer version
  // Atomic write of plan.json.
  void save(const std::filesystem::path& file) const;
  // Throws unetx::Error("<file>", "no plan: run `unetx preprocess` first") when absent.
  static Plan load(const std::filesystem::path& file);
};

}  // namespace unetx::pipeline
