// unetx uncertainty: parse options, call xai::run_uncertainty.
#include "cmd/cli.h"
#include "cmd/commands.h"
#include "cmd/inference_options.h"
#include "io/error.h"
#include "xai/uncertainty_run.h"

namespace unetx::cli {
namespace {

std::string method_help() {
  std::string help = "comma-separated estimators:";
  for (const auto& m : xai::uncertainty_methods()) help += "\n  " + m.name + ": " + m.description;
  return help;
}

}  // namespace

int cmd_uncertainty(int argc, char** argv) {
  xai::UncertaintySettings s;
  InferenceFlags flags;
  std::vector<std::string> models;
  CommandLine cmd{"uncertainty", "unetx uncertainty -i COHORT -m CHECKPOINT [-m ...] -o DIR [options]"};
  // clang-format off
  cmd.options.add_options()
      ("input,i", path_value(&s.input)->required(), "cohort: manifest CSV, dataset.json or folder")
      ("model,m", po::value(&models)->required()->composing(),
       "checkpoint; repeat for the ensemble method (the first one serves the other methods)")
      ("output,o", path_value(&s.output)->required(),
       "output folder: <case>_<method>_<map>.nii.gz, manifest.csv, uncertainty.csv, "
       "uncertainty_summary.json")
      ("method", po::value(&s.methods)->default_value(s.methods), method_help().c_str())
      ("samples", po::value(&s.samples)->default_value(s.samples),
       "mc_dropout: stochastic forward passes per case")
      ("rotation", po::value(&s.rotation_degrees)->default_value(s.rotation_degrees),
       "tta: also rotate by +- this many degrees in the y-x plane; 0 = mirrorings only")
      ("reference", path_value(&s.reference),
       "cohort (or folder of label maps) with each case's reference labels; default: the "
       "input manifest's label column")
      ("ece-bins", po::value(&s.ece_bins)->default_value(s.ece_bins),
       "equal-width confidence bins of the expected calibration error");
  // clang-format on
  add_inference_options(cmd.options, flags);
  return run_command(cmd, argc, argv, [&](const GlobalOptions& g, dist::Communicator& comm) {
    try {
      xai::parse_methods(s.methods);
    } catch (const Error& e) {
      throw po::error(e.what());
    }
    s.model = models.front();  // required: at least one
    s.ensemble.assign(models.begin() + 1, models.end());
    s.inference = to_inference_options(flags);
    s.model_load = to_model_load_options(flags);
    s.device = g.device;
    return finish("uncertainty", xai::run_uncertainty(s, comm));
  });
}

}  // namespace unetx::cli
