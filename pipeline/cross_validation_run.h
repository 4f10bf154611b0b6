// Cross-validation predictions: every case predicted by the fold model that never saw it, then
// evaluated with its fold, so a study reports held-out Dice as "mean ± std over K folds".
//
//   <output>/fold_<k>/            `unetx predict` output of fold k's validation cases
//   <output>/predictions/         every case's label map (links into the fold folders)
//   <output>/references/manifest.csv  the cohort with a `fold` column, for `unetx evaluate`
#pragma once

#include <filesystem>

#include "distributed/communicator.h"
#include "pipeline/cohort_runner.h"
#include "pipeline/inference.h"

namespace unetx::pipeline {

struct CrossValidationPredictSettings {
  std::filesystem::path cohort;    // the cohort manifest preprocess was given (images + labels)
  std::filesystem::path training;  // the `unetx train --folds K` output: splits.json, fold_<k>/
  std::filesystem::path output;
  std::string checkpoint = "checkpoint_best.pt";  // which checkpoint of each fold predicts
  InferenceOptions inference;
  std::string device = "cpu";
};

struct CrossValidationPredictions {
  std::filesystem::path predictions;  // folder of <case_id>.nii.gz
  std::filesystem::path references;   // manifest with image, label and fold columns
  RunSummary summary;                 // over every fold's cases
};

// Throws unetx::Error naming splits.json or a fold checkpoint that is missing, or a case of the
// splits that the cohort does not have.
CrossValidationPredictions predict_cross_validation(const CrossValidationPredictSettings& settings,
                                                    dist::Communicator& comm);

}  // namespace unetx::pipeline
