// Dataset fingerprint, in the spirit of nnU-Net's: per case the spacing, size, nonzero box,
// modalities and a sample of foreground intensities; over the cohort the medians and the
// foreground intensity statistics per channel that planning (plan_rules.h) turns into decisions.
#pragma once

#include <array>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/manifest.h"
#include "io/volume.h"
#include "pipeline/crop_box.h"

namespace unetx::pipeline {

// Foreground intensities kept per case and channel (evenly strided when there are more), as in
// nnU-Net: enough for stable percentiles without holding whole cohorts in memory.
inline constexpr int64_t kForegroundSamplesPerCase = 10000;

struct CaseFingerprint {
  std::string id;
  std::array<double, 3> spacing{1, 1, 1};  // (x, y, z) mm
  std::array<int64_t, 3> size{0, 0, 0};    // (x, y, z) voxels
  // Voxel axes along the patient axes (direction a signed permutation, within 1e-3): then
  // whole-axis reorientation (orientation.h) makes "x, y, z" the same anatomy in every such case.
  bool axis_aligned = true;
  CropBox nonzero;                         // bounding box of the nonzero voxels (crop_box.h)
  std::vector<std::string> modality;       // per channel, "" = unknown
  int max_label = 0;                       // highest label value; 0 without a label
  // Per channel: intensities of the foreground (label > 0; without a label, the nonzero region).
  // Empty when the label has no foreground.
  std::vector<std::vector<float>> samples;
};

struct ChannelIntensity {
  int64_t samples = 0;                         // foreground voxels sampled over the cohort
  double percentile_00_5 = 0, percentile_99_5 = 0;  // linear interpolation (numpy's default)
  double mean = 0, std = 0;                    // population std
};

struct DatasetFingerprint {
  std::vector<CaseFingerprint> cases;
  std::array<double, 3> median_spacing{1, 1, 1};  // (x, y, z) mm, per-axis medians
  std::array<int64_t, 3> median_size{0, 0, 0};    // (x, y, z) voxels, rounded per-axis medians
  std::vector<ChannelIntensity> intensity;        // per channel
  std::vector<std::string> modality;              // per channel: most common known value, or ""
  int max_label = 0;

  int channels() const { return static_cast<int>(intensity.size()); }
  // {"cases": [{id, spacing, size, nonzero_box, modality, foreground_samples}], "median_spacing",
  //  "median_size", "channels": [{modality, samples, percentile_00_5, percentile_99_5, mean,
  //  std}], "samples_per_case", "axis_aligned_cases"}; cases also carry "axis_aligned".
  nlohmann::json to_json() const;
};

// One case: `label` may be null; when given it must be on the image's grid (Error otherwise).
// `modality` per channel as case_modalities (modality.h) found it.
CaseFingerprint fingerprint_case(const std::string& id, const io::Volume& image,
                                 const io::Volume* label, std::vector<std::string> modality,
                                 int64_t max_samples = kForegroundSamplesPerCase);

// The cohort view of `cases` (at least one; every case with the same channel count).
DatasetFingerprint summarize_fingerprints(std::vector<CaseFingerprint> cases);

// Reads every case of `cohort` and fingerprints it. A case that cannot be read, or has a broken
// spacing, is left out with a warning (it fails on its own later); a label without foreground
// only leaves the case's intensities out, with a warning. Throws unetx::Error(cohort source)
// when no case is usable. Spacings, sizes and nonzero boxes are recorded on the axes
// `orientation` gives each case (Plan::orientation: "LPS" or "native"; orientation.h).
DatasetFingerprint fingerprint_cohort(const io::Cohort& cohort,
                                      const std::string& orientation = "LPS");

// The median of `v` (mean of the two middle values for an even count); v non-empty.
double median(std::vector<double> v);

}  // namespace unetx::pipeline
