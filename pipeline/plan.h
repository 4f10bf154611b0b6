// Plan: the dataset fingerprint and every decision preprocess made, written once as plan.json
// and read (never edited) by train, predict, explain, uncertainty. Versioned: a plan from a newer
// unetx is refused with a message, a missing plan says which command makes it. Plans of format 1
// (before per-channel normalization and cropping) still load, as z-score without cropping.
#pragma once

#include <array>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace unetx::pipeline {

// How one image channel is normalized (pipeline/normalize.h applies it).
//   "zscore":         per case, (x - mean) / std over all voxels of the channel
//   "zscore_nonzero": per case, the same over the nonzero region only; outside it becomes 0
//   "ct":             dataset-wide: clip to [clip_low, clip_high] (foreground 0.5 / 99.5
//                     percentiles), then (x - mean) / std with the foreground mean and std
struct ChannelNormalization {
  std::string scheme = "zscore";
  double clip_low = 0, clip_high = 0;  // "ct" only; intensity units of the image
  double mean = 0, std = 1;            // "ct" only
};

struct Plan {
  static constexpr int kFormatVersion = 2;

  // Fingerprint of the cohort the plan was made from (informational).
  int num_cases = 0;
  std::array<double, 3> median_spacing{1, 1, 1};  // (x, y, z) mm
  std::array<int64_t, 3> median_size{0, 0, 0};    // (x, y, z) voxels
  // Per-case spacings/sizes, foreground intensity statistics per channel, modalities (the JSON of
  // pipeline/fingerprint.h's DatasetFingerprint; empty for format-1 plans).
  nlohmann::json fingerprint = nlohmann::json::object();

  // Decisions.
  std::array<double, 3> target_spacing{1, 1, 1};  // (x, y, z) mm
  // The scheme of every channel when they agree, else "mixed"; see channel_normalization.
  std::string normalization = "zscore";
  std::vector<ChannelNormalization> channel_normalization;  // one per channel; empty = zscore
  std::vector<std::string> modality;  // one per channel ("CT", "MR", ...); "" = unknown
  // Cases are cropped to the bounding box of their nonzero voxels (over channels) before
  // resampling; the box is kept so predictions land on the full original grid.
  bool crop_to_nonzero = false;
  // "LPS": every case's voxel axes permuted/flipped to the canonical orientation before anything
  // else (orientation.h; what preprocess plans); "native": axes kept as stored (plans written
  // before reorientation existed, or `preprocess --orientation native`).
  std::string orientation = "native";
  double memory_budget_gb = 0;     // training memory budget the patch/batch were chosen for
  double estimated_memory_gb = 0;  // estimate for the chosen patch, batch and network
  int in_channels = 1;
  std::vector<std::string> labels{"background", "foreground"};  // index = label value
  int spatial_dims = 3;                           // 3: volumetric network; 2: slice-wise along z
  std::array<int64_t, 3> patch_size{64, 64, 64};  // (x, y, z) voxels; z = 1 when spatial_dims = 2
  int batch_size = 2;
  nlohmann::json network = {{"name", "unet"}};  // model config for models::make_model

  int num_classes() const { return static_cast<int>(labels.size()); }
  // channel_normalization[c], or plain z-score when the plan lists none (format 1).
  ChannelNormalization normalization_of(int channel) const;

  nlohmann::json to_json() const;
  static Plan from_json(const nlohmann::json& j);  // throws unetx::Error on bad/newer version
  // Atomic write of plan.json.
  void save(const std::filesystem::path& file) const;
  // Throws unetx::Error("<file>", "no plan: run `unetx preprocess` first") when absent.
  static Plan load(const std::filesystem::path& file);
};

// "zscore" | "zscore_nonzero" | "ct".
bool is_normalization_scheme(const std::string& scheme);

}  // namespace unetx::pipeline
