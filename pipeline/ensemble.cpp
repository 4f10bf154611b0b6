#include "pipeline/ensemble.h"

#include <set>

#include "io/error.h"
#include "io/image_io.h"
#include "pipeline/plan_match.h"

namespace unetx::pipeline {

namespace {

// Keys that do not change what a member's probabilities mean or on which grid they are: the
// architecture and the training batch (and its memory estimate) may differ between members
// (spatial_dims is compared: a 2-D and a 3-D network of one plan see different windows), and the
// fingerprint only describes the cohort. Every other key is compared, so a key a later plan
// adds is refused loudly, by name, rather than ignored silently.
const std::set<std::string> kFreeKeys = {
    "network",     "batch_size",     "memory_budget_gb", "estimated_memory_gb", "num_cases",
    "fingerprint", "median_spacing", "median_size",      "format_version"};

std::string network_difference(const models::SegmentationModel& a,
                               const models::SegmentationModel& b) {
  if (a.in_channels() != b.in_channels())
    return "input channels (" + std::to_string(a.in_channels()) + " vs " +
           std::to_string(b.in_channels()) + ")";
  if (a.num_classes() != b.num_classes())
    return "classes (" + std::to_string(a.num_classes()) + " vs " +
           std::to_string(b.num_classes()) + ")";
  if (a.spatial_dims() != b.spatial_dims())
    return "spatial dims (" + std::to_string(a.spatial_dims()) + " vs " +
           std::to_string(b.spatial_dims()) + ")";
  return "";
}

}  // namespace

Networks InferenceEnsemble::networks() const {
  Networks n;
  for (const auto& m : members) n.push_back(m.model.get());
  return n;
}

std::string plan_difference(const Plan& a, const Plan& b) {
  const nlohmann::json ja = a.to_json(), jb = b.to_json();
  for (const auto& [key, value] : ja.items()) {
    if (kFreeKeys.count(key)) continue;
    const auto other = jb.find(key);
    if (other == jb.end() || *other != value) return key;
  }
  for (const auto& [key, value] : jb.items()) {
    if (!kFreeKeys.count(key) && !ja.contains(key)) return key;
  }
  return "";
}

InferenceEnsemble load_inference_ensemble(const std::vector<std::filesystem::path>& checkpoints,
                                          const std::string& device,
                                          const ModelLoadOptions& options) {
  if (checkpoints.empty()) throw Error("--model", "give at least one checkpoint");
  InferenceEnsemble e;
  for (const auto& file : checkpoints) {
    InferenceModel m = load_inference_model(file, device, options);
    if (!e.members.empty()) {
      const std::string first = e.files.front().string();
      const std::string key = plan_difference(e.plan(), m.plan);
      if (!key.empty()) {
        const nlohmann::json a = e.plan().to_json(), b = m.plan.to_json();
        throw Error(file.string(), "plan differs from " + first + " in " + key + " (" +
                                       a.value(key, nlohmann::json()).dump() + " vs " +
                                       b.value(key, nlohmann::json()).dump() +
                                       "): ensemble members must share one plan");
      }
      const std::string net = network_difference(*e.members.front().model, *m.model);
      if (!net.empty()) {
        throw Error(file.string(), "network differs from " + first + " in " + net +
                                       ": ensemble members must predict the same classes");
      }
    }
    e.members.push_back(std::move(m));
    e.files.push_back(file);
  }
  return e;
}

CasePrediction predict_case(const InferenceEnsemble& e, const io::Case& c,
                            const InferenceOptions& options) {
  io::Volume image = io::read_channels(c.images);
  check_case_fits_plan(c, image, e.plan());
  return predict_case(e, c.id, std::move(image), options);
}

CasePrediction predict_case(const InferenceEnsemble& e, const std::string& id, io::Volume image,
                            const InferenceOptions& options) {
  return predict_case(e.networks(), e.plan(), id, std::move(image), options);
}

}  // namespace unetx::pipeline
