// `unetx predict`: cohort + checkpoint -> one label map per case on its original image grid
// (<case_id>.nii.gz), optionally the class probabilities (<case_id>_prob.nii.gz), + manifest.
#pragma once

#include <filesystem>
#include <string>

#include "distributed/communicator.h"
#include "pipeline/cohort_runner.h"
#include "pipeline/inference.h"

namespace unetx::pipeline {

struct PredictSettings {
  std::filesystem::path input;
  std::filesystem::path output;
  std::filesystem::path model;  // checkpoint file
  InferenceOptions inference;
  bool save_probabilities = false;
  std::string device = "cpu";
};

RunSummary run_predict(const PredictSettings& settings, dist::Communicator& comm);

}  // namespace unetx::pipeline
