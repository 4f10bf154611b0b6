#include "xai/explain_run.h"

#include <algorithm>

#include "io/error.h"
#include "io/image_io.h"
#include "xai/grad_cam.h"
#include "xai/overlay.h"

namespace unetx::xai {
namespace {

namespace fs = std::filesystem;

// Grad-CAM is most informative one stage above full resolution: coarse enough to be semantic,
// fine enough to follow the organ's outline.
std::string default_layer(const models::SegmentationModel& model) {
  auto names = model.tap_names();
  if (std::find(names.begin(), names.end(), "decoder.1") != names.end()) return "decoder.1";
  return "decoder.0";
}

void write_overlay(const fs::path& file, const pipeline::CasePrediction& p, const io::Volume& cam,
                   int64_t target_class) {
  at::Tensor mask = (p.labels.data[0] == target_class).to(at::kByte);
  const int64_t z = representative_slice(mask);
  write_overlay_png(file, p.image.data[0][z].to(at::kFloat), cam.data[0][z], mask[z]);
}

}  // namespace

pipeline::RunSummary run_explain(const ExplainSettings& s, dist::Communicator& comm) {
  pipeline::InferenceModel m = pipeline::load_inference_model(s.model, s.device, s.model_load);
  const std::string layer = s.layer.empty() ? default_layer(*m.model) : s.layer;
  if (s.target_class < 1 || s.target_class >= m.model->num_classes())
    throw Error("--target-class", std::to_string(s.target_class) +
                                      " is not a foreground class of " + s.model.string());
  const io::Cohort cohort = io::read_cohort(s.input);
  auto map_file = [&](const io::Case& c) { return s.output / (c.id + "_gradcam.nii.gz"); };
  auto png_file = [&](const io::Case& c) { return s.output / (c.id + "_gradcam.png"); };

  pipeline::CohortTask task;
  task.what = "explain";
  task.output = s.output;
  task.columns = {"map", "overlay", "layer", "target_class"};
  task.outputs = [&](const io::Case& c) { return std::vector<fs::path>{map_file(c), png_file(c)}; };
  task.process = [&](const io::Case& c) -> std::map<std::string, std::string> {
    pipeline::CasePrediction p = pipeline::predict_case(m, c, s.inference);
    // Each window explains the class score over its own predicted region; windows are stitched
    // with the same Gaussian weights as predictions, then the case map is scaled to [0, 1].
    at::Tensor cam = pipeline::per_window(
        p.prepared.image, 1, m.plan, s.inference,
        [&](const at::Tensor& batch) { return grad_cam(*m.model, batch, layer, s.target_class); });
    io::Volume cam_original = pipeline::map_to_original(normalize_map(cam), p.prepared);
    write_overlay(png_file(c), p, cam_original, s.target_class);
    io::write_image(cam_original, map_file(c));
    return {{"map", pipeline::relative_to(map_file(c), s.output)},
            {"overlay", pipeline::relative_to(png_file(c), s.output)},
            {"layer", layer},
            {"target_class", std::to_string(s.target_class)}};
  };
  return pipeline::run_cohort(cohort, task, comm);
}

}  // namespace unetx::xai
