// Imaging modality of a case's channels, from wherever the cohort states it: a manifest column,
// an MSD dataset.json, or the DICOM Modality attribute. The modality picks the default
// normalization (CT: dataset-wide clipping + z-score; anything else: per-case z-score) and lets
// predict refuse a plan made for another kind of image.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "io/manifest.h"
#include "io/volume.h"

namespace unetx::pipeline {

// The family a modality string belongs to, for comparisons: "CT"; "MR" for MR, MRI and MR
// sequence names (T1, T1w, T1Gd, T2, T2w, FLAIR, ADC, DWI, PD, ...); "" when unknown (empty,
// "unknown", "OT"); otherwise the string in upper case. Case-insensitive.
std::string modality_family(const std::string& modality);

// Per-channel modalities (`channels` entries, "" where unknown) of one case, from its manifest
// columns: "modality_0", "modality_1", ... per channel, or "modality" (one value for every
// channel, or one per channel separated by ';').
std::vector<std::string> manifest_modalities(const io::Case& c, int channels);

// Per-channel modalities from an MSD dataset.json's "modality" (or nnU-Net v2 "channel_names")
// object {"0": "CT", ...}; all "" when `source` is not a .json file or states none.
std::vector<std::string> dataset_json_modalities(const std::filesystem::path& source, int channels);

// What a case says about its modalities: the manifest first, then dataset.json (`dataset`, as
// from dataset_json_modalities), then the image's DICOM Modality (image.meta["modality"],
// applied to every channel). "" where nothing says.
std::vector<std::string> case_modalities(const io::Case& c, const io::Volume& image,
                                         const std::vector<std::string>& dataset);

}  // namespace unetx::pipeline
