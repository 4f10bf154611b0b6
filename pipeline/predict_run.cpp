#include "pipeline/predict_run.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>

#include "io/dicom_seg.h"
#include "io/dicom_series.h"
#include "io/error.h"
#include "io/image_io.h"
#include "pipeline/ensemble.h"

namespace unetx::pipeline {

namespace fs = std::filesystem;

namespace {

// The DICOM series a SEG must reference: the case's (first) image, which must be DICOM.
io::DicomVolume dicom_source(const io::Case& c) {
  const fs::path& image = c.images.front();
  if (!io::is_dicom_folder(image) && !io::is_dicom_file(image))
    throw Error(image.string(), "--format dicom-seg needs a DICOM image series, this is not one");
  return io::read_dicom(image);
}

void write_seg(const CasePrediction& p, const io::DicomVolume& source, const Plan& plan,
               const PredictSettings& s, const fs::path& file) {
  if (!io::same_grid(p.labels, source.volume))
    throw Error(file.string(), "the prediction's grid differs from the DICOM series' (" +
                                   p.labels.geometry.to_string() + " vs " +
                                   source.volume.geometry.to_string() + ")");
  const std::vector<std::string> names(
      plan.labels.begin() + std::min<size_t>(1, plan.labels.size()), plan.labels.end());
  io::DicomSegOptions options;
  options.algorithm_version = s.software_version;
  io::write_dicom_seg(p.labels, source.info, names, file, options);
}

}  // namespace

RunSummary run_predict(const PredictSettings& s, dist::Communicator& comm) {
  const bool seg = s.format == PredictSettings::Format::kDicomSeg;
  std::vector<fs::path> members{s.model};
  members.insert(members.end(), s.ensemble.begin(), s.ensemble.end());
  const InferenceEnsemble e = load_inference_ensemble(members, s.device, s.model_load);
  const Plan& plan = e.plan();
  // A wrong --tta is one usage error, not the same failure repeated for every case.
  mirror_flips(s.inference.tta, plan.spatial_dims);
  InferenceOptions inference = s.inference;
  inference.keep_probabilities = s.save_probabilities;
  // On the output's disk, not in memory: a case predicted slab by slab stays within the budget.
  if (s.save_probabilities) inference.probabilities_scratch_dir = s.output;
  const io::Cohort cohort = io::read_cohort(s.input);
  auto mask_file = [&](const io::Case& c) {
    return s.output / (c.id + (seg ? ".dcm" : ".nii.gz"));
  };
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
    // Read (and check) the DICOM source first: a non-DICOM case fails before any inference.
    const std::optional<io::DicomVolume> source =
        seg ? std::optional<io::DicomVolume>(dicom_source(c)) : std::nullopt;
    // A single-channel DICOM case is predicted from the series just read, not read again.
    CasePrediction p = source && c.images.size() == 1
                           ? predict_case(e, c.id, source->volume, inference)
                           : predict_case(e, c, inference);
    if (p.slabs > 0) {
      spdlog::info("case {}: predicted in {} slabs to stay within --memory-budget {} GB", c.id,
                   p.slabs, inference.memory_budget_gb);
    }
    std::map<std::string, std::string> row{{"mask", relative_to(mask_file(c), s.output)},
                                           {"probabilities", ""}};
    // Probabilities first: the mask's presence is what marks a case finished.
    if (s.save_probabilities) {
      io::write_image(io::Volume{p.probs_original, p.labels.geometry, {}}, prob_file(c));
      row["probabilities"] = relative_to(prob_file(c), s.output);
    }
    if (seg)
      write_seg(p, *source, plan, s, mask_file(c));
    else
      io::write_image(p.labels, mask_file(c));
    return row;
  };
  return run_cohort(cohort, task, comm);
}

}  // namespace unetx::pipeline
