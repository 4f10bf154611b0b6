// `unetx uncertainty`: cohort + checkpoint -> per case the voxelwise predictive entropy of
// Monte-Carlo dropout (<case_id>_entropy.nii.gz, nats) and its mutual information
// (<case_id>_mi.nii.gz), with per-case means as manifest columns.
#pragma once

#include <filesystem>
#include <string>

#include "distributed/communicator.h"
#include "pipeline/cohort_runner.h"
#include "pipeline/inference.h"

namespace unetx::xai {

struct UncertaintySettings {
  std::filesystem::path input;
  std::filesystem::path output;
  std::filesystem::path model;
  int samples = 10;  // stochastic forward passes per case
  pipeline::InferenceOptions inference;
  pipeline::ModelLoadOptions model_load;  // TorchScript plan, UNet++ pruning
  std::string device = "cpu";
};

pipeline::RunSummary run_uncertainty(const UncertaintySettings& settings, dist::Communicator& comm);

}  // namespace unetx::xai
