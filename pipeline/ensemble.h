// Ensembles of checkpoints, e.g. the K folds of a cross-validation (`unetx predict -m fold0.pt
// -m fold1.pt ...`): class probabilities are averaged over the members window by window, which
// equals averaging their whole-volume predictions (blending is linear) without holding one
// probability volume per member.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "pipeline/inference.h"

namespace unetx::pipeline {

struct InferenceEnsemble {
  std::vector<InferenceModel> members;       // at least one; all share members[0].plan
  std::vector<std::filesystem::path> files;  // the checkpoint of each member

  const Plan& plan() const { return members.front().plan; }
  Networks networks() const;
};

// The first plan key (alphabetically, as plan.json lists them) on which two members' plans differ
// in a way that changes their predictions' meaning or grid ("" when none does): every key except
// the network config, the training batch and memory settings and the cohort fingerprint
// (fingerprint, num_cases, median_*). Keys a later plan version adds are compared too.
std::string plan_difference(const Plan& a, const Plan& b);

// Loads every checkpoint (as load_inference_model). Throws unetx::Error(<file>, "plan differs
// from <first file> in <key> (<a> vs <b>) ...") for the first member whose plan differs from the
// first one's, or whose network has other input channels, classes or dimension.
InferenceEnsemble load_inference_ensemble(const std::vector<std::filesystem::path>& checkpoints,
                                          const std::string& device = "cpu",
                                          const ModelLoadOptions& options = {});

// predict_case with the class probabilities averaged over the members.
CasePrediction predict_case(const InferenceEnsemble& e, const io::Case& c,
                            const InferenceOptions& options = {});
CasePrediction predict_case(const InferenceEnsemble& e, const std::string& id, io::Volume image,
                            const InferenceOptions& options = {});

}  // namespace unetx::pipeline
