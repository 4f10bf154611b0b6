#include "xai/uncertainty_run.h"

#include <spdlog/fmt/fmt.h>

#include "io/error.h"
#include "io/image_io.h"
#include "models/mc_dropout.h"
#include "pipeline/plan_match.h"
#include "xai/uncertainty.h"

namespace unetx::xai {

namespace fs = std::filesystem;

pipeline::RunSummary run_uncertainty(const UncertaintySettings& s, dist::Communicator& comm) {
  if (s.samples < 2) throw Error("--samples", "needs at least 2 stochastic passes");
  pipeline::InferenceModel m = pipeline::load_inference_model(s.model, s.device, s.model_load);
  if (models::set_mc_dropout(*m.model, true) == 0)
    throw Error(s.model.string(),
                "the network has no dropout layer, so MC dropout has nothing to sample "
                "(preprocess with --dropout > 0 and retrain)");
  const io::Cohort cohort = io::read_cohort(s.input);
  auto entropy_file = [&](const io::Case& c) { return s.output / (c.id + "_entropy.nii.gz"); };
  auto mi_file = [&](const io::Case& c) { return s.output / (c.id + "_mi.nii.gz"); };

  pipeline::CohortTask task;
  task.what = "uncertainty";
  task.output = s.output;
  task.columns = {"entropy", "mutual_information", "mean_entropy", "mean_entropy_foreground",
                  "mean_mutual_information"};
  task.outputs = [&](const io::Case& c) {
    return std::vector<fs::path>{entropy_file(c), mi_file(c)};
  };
  task.process = [&](const io::Case& c) -> std::map<std::string, std::string> {
    io::Volume image = io::read_channels(c.images);
    pipeline::check_case_fits_plan(c, image, m.plan);
    pipeline::PreparedCase prepared = pipeline::prepare_case(c.id, image, nullptr, m.plan);
    McDropoutResult r = mc_dropout(
        [&] {
          return pipeline::predict_probabilities(*m.model, prepared.image, m.plan, s.inference);
        },
        s.samples);
    io::Volume entropy = pipeline::map_to_original(r.entropy, prepared);
    io::Volume mi = pipeline::map_to_original(r.mutual_information, prepared);
    at::Tensor labels =
        pipeline::labels_volume(pipeline::restore_to_original(r.mean_probs, prepared),
                                prepared.original_geometry)
            .data;
    const double mean_entropy = mean_over(entropy.data, at::Tensor());
    const double mean_entropy_fg = mean_over(entropy.data, labels > 0);
    const double mean_mi = mean_over(mi.data, at::Tensor());
    io::write_image(mi, mi_file(c));
    io::write_image(entropy, entropy_file(c));
    return {{"entropy", pipeline::relative_to(entropy_file(c), s.output)},
            {"mutual_information", pipeline::relative_to(mi_file(c), s.output)},
            {"mean_entropy", fmt::format("{:.6g}", mean_entropy)},
            {"mean_entropy_foreground", fmt::format("{:.6g}", mean_entropy_fg)},
            {"mean_mutual_information", fmt::format("{:.6g}", mean_mi)}};
  };
  return pipeline::run_cohort(cohort, task, comm);
}

}  // namespace unetx::xai
