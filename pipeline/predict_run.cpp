#include "pipeline/predict_run.h"

#include "io/image_io.h"

namespace unetx::pipeline {

namespace fs = std::filesystem;

RunSummary run_predict(const PredictSettings& s, dist::Communicator& comm) {
  InferenceModel m = load_inference_model(s.model, s.device);
  const io::Cohort cohort = io::read_cohort(s.input);
  auto mask_file = [&](const io::Case& c) { return s.output / (c.id + ".nii.gz"); };
  auto prob_file = [&](const io::Case& c) { return s.output / (c.id + "_prob.nii.gz"); };

  CohortTask task;
  task.what = "predict";
  task.output = s.output;
  task.columns = {"mask", "probabilities"};
  task.outputs = [&](const io::Case& c) {
    std::vector<fs::path> files{mask_file(c)};
    if (s.save_probabilities) files.push_back(prob_file(c));
    return files;
  };
  task.process = [&](const io::Case& c) -> std::map<std::string, std::string> {
    CasePrediction p = predict_case(m, c, s.inference);
    std::map<std::string, std::string> row{{"mask", relative_to(mask_file(c), s.output)},
                                           {"probabilities", ""}};
    // Probabilities first: the mask's presence is what marks a case finished.
    if (s.save_probabilities) {
      io::write_image(io::Volume{p.probs_original, p.labels.geometry, {}}, prob_file(c));
      row["probabilities"] = relative_to(prob_file(c), s.output);
    }
    io::write_image(p.labels, mask_file(c));
    return row;
  };
  return run_cohort(cohort, task, comm);
}

}  // namespace unetx::pipeline
