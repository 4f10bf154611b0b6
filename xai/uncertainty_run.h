// `unetx uncertainty`: cohort + checkpoint(s) -> per case and method the voxel maps of the
// chosen estimators on the original image grid (<case_id>_<method>_<map>.nii.gz, e.g.
// case1_mc_dropout_entropy.nii.gz), <case_id>_<method>_pooled.json (the case's sums for the
// cohort-pooled AUROC and ECE), one manifest row per case, <output>/uncertainty.csv with
// per-case scores per method, and <output>/uncertainty_summary.json (AUROC and ECE per case
// averaged and pooled over all voxels, and the uncertainty-Dice correlations over the cases
// with a reference).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "distributed/communicator.h"
#include "pipeline/cohort_runner.h"
#include "pipeline/inference.h"
#include "xai/uncertainty_methods.h"

namespace unetx::xai {

struct UncertaintySettings {
  std::filesystem::path input;
  std::filesystem::path output;
  std::filesystem::path model;                  // the network of single-model methods
  std::vector<std::filesystem::path> ensemble;  // further checkpoints (members of `ensemble`)
  std::string methods = "mc_dropout";           // comma-separated, see uncertainty_methods()
  int samples = 10;                             // mc_dropout passes per case
  double rotation_degrees = 10;                 // tta: +- in-plane rotations; 0 = flips only
  // Optional cohort giving each case's reference by case id: its label column, or its image
  // when it has none (a folder of label maps). Without it, the input manifest's label column.
  std::filesystem::path reference;
  int ece_bins = 15;  // equal-width confidence bins of the expected calibration error
  pipeline::InferenceOptions inference;
  pipeline::ModelLoadOptions model_load;  // TorchScript plan, UNet++ pruning
  std::string device = "cpu";
};

pipeline::RunSummary run_uncertainty(const UncertaintySettings& settings, dist::Communicator& comm);

}  // namespace unetx::xai
