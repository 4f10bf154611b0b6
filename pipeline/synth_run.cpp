#include "pipeline/synth_run.h"

#include <spdlog/fmt/fmt.h>

#include "io/dicom_export.h"
#include "io/image_io.h"

namespace unetx::pipeline {

namespace fs = std::filesystem;

namespace {

void write_dicom_case(const io::Volume& image, const fs::path& folder, int index) {
  const fs::path partial = folder.parent_path() / (".tmp-" + folder.filename().string());
  fs::remove_all(partial);
  io::DicomExportOptions options;
  options.modality = "MR";
  options.series_description = fmt::format("unetx phantom {}", index);
  io::write_dicom_series(image, partial, options);
  fs::remove_all(folder);
  fs::rename(partial, folder);
}

}  // namespace

RunSummary run_synth(const SynthSettings& s, dist::Communicator& comm) {
  io::Cohort cohort;
  cohort.source = s.output;
  std::map<std::string, int> index_of;
  for (int i = 0; i < s.phantom.cases; ++i) {
    io::Case c;
    c.id = fmt::format("phantom_{:04d}", i);
    index_of[c.id] = i;
    cohort.cases.push_back(c);
  }
  // NIfTI: images/<id>.nii.gz. DICOM: images/<id>/ holding one file per slice, written into a
  // hidden folder first and renamed when complete, so a killed run never leaves half a series.
  auto image_file = [&](const io::Case& c) {
    return s.output / "images" / (s.dicom ? c.id : c.id + ".nii.gz");
  };
  auto label_file = [&](const io::Case& c) { return s.output / "labels" / (c.id + ".nii.gz"); };

  CohortTask task;
  task.what = "synth";
  task.output = s.output;
  task.columns = {"image", "label"};
  task.outputs = [&](const io::Case& c) {
    return std::vector<fs::path>{image_file(c), label_file(c)};
  };
  task.process = [&](const io::Case& c) -> std::map<std::string, std::string> {
    auto [image, label] = make_phantom(s.phantom, index_of.at(c.id));
    io::write_image(label, label_file(c));
    if (s.dicom) {
      write_dicom_case(image, image_file(c), index_of.at(c.id));
    } else {
      io::write_image(image, image_file(c));
    }
    return {{"image", relative_to(image_file(c), s.output)},
            {"label", relative_to(label_file(c), s.output)}};
  };
  return run_cohort(cohort, task, comm);
}

}  // namespace unetx::pipeline
