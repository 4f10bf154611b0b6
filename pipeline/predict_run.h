// `unetx predict`: cohort + checkpoint(s) -> one label map per case on its original image grid
// (<case_id>.nii.gz, or <case_id>.dcm as a DICOM SEG), optionally the class probabilities
// (<case_id>_prob.nii.gz), + manifest. Several checkpoints sharing a plan (the folds) are an
// ensemble: their class probabilities are averaged.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "distributed/communicator.h"
#include "pipeline/cohort_runner.h"
#include "pipeline/inference.h"

namespace unetx::pipeline {

struct PredictSettings {
  std::filesystem::path input;
  std::filesystem::path output;
  std::filesystem::path model;  // checkpoint file
  // Further checkpoints (the other folds): with them `model` is the first member of an ensemble
  // whose class probabilities are averaged; all must share one plan.
  std::vector<std::filesystem::path> ensemble;
  InferenceOptions inference;   // keep_probabilities is set from save_probabilities
  ModelLoadOptions model_load;  // TorchScript plan, UNet++ pruning
  bool save_probabilities = false;
  std::string device = "cpu";
  // kNifti: <case>.nii.gz. kDicomSeg: <case>.dcm, a DICOM SEG referencing the case's DICOM
  // series (segments named after the plan's labels). A case whose image is not DICOM fails
  // with a one-line reason before any inference; the other cases go on.
  enum class Format { kNifti, kDicomSeg };
  Format format = Format::kNifti;
  std::string software_version = "dev";  // written into the SEG (algorithm version)
};

RunSummary run_predict(const PredictSettings& settings, dist::Communicator& comm);

}  // namespace unetx::pipeline
