// The demo's real data: the Colin27 T1 head (Debian mricron-data, ch2.nii.gz) and its brain
// (ch2bet.nii.gz; brain mask = ch2bet > 0), cut into axial slabs so one head gives a small
// cohort: most slabs train, a few held-out slabs are predicted and evaluated.
#pragma once

#include <filesystem>
#include <vector>

namespace unetx::pipeline {

struct DemoDataSettings {
  std::filesystem::path templates = "/usr/share/mricron/templates";
  std::filesystem::path output;     // writes images/, labels/, train.csv, test.csv here
  int slabs = 8;                    // axial slabs the head is cut into
  std::vector<int> held_out{2, 5};  // slab indices kept out of training
  // Cut only the axial range that holds brain: every slab is then a brain-extraction case (a
  // slab above the brain has an empty reference, where any false positive scores Dice 0).
  bool brain_range_only = false;
  // The training manifest's `level` column: the slab's axial band, 0 (inferior) .. bands-1.
  // Cross-validation stratifies its folds on it, so slabs of one band (neighbours, with
  // similar anatomy) land in different folds and every fold trains on every part of the head.
  int level_bands = 1;
};

struct DemoData {
  std::filesystem::path train_manifest;
  std::filesystem::path test_manifest;
};

// Throws unetx::Error naming the missing template when mricron-data is not installed.
DemoData make_demo_data(const DemoDataSettings& settings);

}  // namespace unetx::pipeline
