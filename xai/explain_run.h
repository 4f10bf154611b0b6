// `unetx explain`: cohort + checkpoint -> per case a Grad-CAM map on the original image grid
// (<case_id>_gradcam.nii.gz, values in [0, 1]) and a PNG overlay of its most representative
// slice (<case_id>_gradcam.png: image, heat map, predicted contour), + manifest.csv.
#pragma once

#include <filesystem>
#include <string>

#include "distributed/communicator.h"
#include "pipeline/cohort_runner.h"
#include "pipeline/inference.h"

namespace unetx::xai {

struct ExplainSettings {
  std::filesystem::path input;
  std::filesystem::path output;
  std::filesystem::path model;
  std::string layer;         // tap to explain; empty: the decoder stage one above the finest
  int64_t target_class = 1;  // explains this class's score over its predicted region
  pipeline::InferenceOptions inference;
  pipeline::ModelLoadOptions model_load;  // TorchScript plan, UNet++ pruning
  std::string device = "cpu";
};

pipeline::RunSummary run_explain(const ExplainSettings& settings, dist::Communicator& comm);

}  // namespace unetx::xai
