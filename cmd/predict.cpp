// unetx predict: parse options, call pipeline::run_predict.
#include "cmd/cli.h"
#include "cmd/commands.h"
#include "cmd/inference_options.h"
#include "pipeline/predict_run.h"

#ifndef UNETX_VERSION
#define UNETX_VERSION "dev"
#endif

namespace unetx::cli {

int cmd_predict(int argc, char** argv) {
  pipeline::PredictSettings s;
  std::string format;
  std::vector<std::string> models;
  InferenceFlags flags;
  CommandLine cmd{"predict",
                  "unetx predict -i COHORT -m CHECKPOINT [-m CHECKPOINT ...] -o DIR [options]"};
  // clang-format off
  cmd.options.add_options()
      ("input,i", path_value(&s.input)->required(), "cohort: manifest CSV, dataset.json or folder")
      ("model,m", po::value(&models)->required()->composing(),
       "checkpoint (checkpoint_best.pt); repeat for an ensemble (e.g. the folds), whose class "
       "probabilities are averaged: all must share one plan")
      ("output,o", path_value(&s.output)->required(), "output folder: <case>.nii.gz + manifest.csv")
      ("save-probabilities", po::bool_switch(&s.save_probabilities),
       "also write <case>_prob.nii.gz (one channel per class)")
      ("format", po::value(&format)->default_value("nifti"),
       "nifti (<case>.nii.gz) | dicom-seg (<case>.dcm, a DICOM SEG referencing the case's "
       "DICOM series; cases whose image is not DICOM fail)");
  // clang-format on
  add_inference_options(cmd.options, flags);
  add_memory_budget_option(cmd.options, flags);
  return run_command(cmd, argc, argv, [&](const GlobalOptions& g, dist::Communicator& comm) {
    s.inference = to_inference_options(flags);
    s.model = models.front();  // required: at least one
    s.ensemble.assign(models.begin() + 1, models.end());
    s.model_load = to_model_load_options(flags);
    s.device = g.device;
    if (format != "nifti" && format != "dicom-seg")
      throw po::error("--format " + format + ": expected nifti or dicom-seg");
    if (format == "dicom-seg") s.format = pipeline::PredictSettings::Format::kDicomSeg;
    s.software_version = UNETX_VERSION;
    return finish("predict", pipeline::run_predict(s, comm));
  });
}

}  // namespace unetx::cli
