// unetx uncertainty: parse options, call xai::run_uncertainty.
#include "cmd/cli.h"
#include "cmd/commands.h"
#include "cmd/inference_options.h"
#include "xai/uncertainty_run.h"

namespace unetx::cli {

int cmd_uncertainty(int argc, char** argv) {
  xai::UncertaintySettings s;
  InferenceFlags flags;
  std::string method = "mc-dropout";
  CommandLine cmd{"uncertainty", "unetx uncertainty -i COHORT -m CHECKPOINT -o DIR [options]"};
  // clang-format off
  cmd.options.add_options()
      ("input,i", path_value(&s.input)->required(), "cohort: manifest CSV, dataset.json or folder")
      ("model,m", path_value(&s.model)->required(), "checkpoint (trained with dropout > 0)")
      ("output,o", path_value(&s.output)->required(),
       "output folder: <case>_entropy.nii.gz, <case>_mi.nii.gz, manifest.csv with per-case means")
      ("method", po::value(&method)->default_value(method), "estimator: mc-dropout")
      ("samples", po::value(&s.samples)->default_value(s.samples), "stochastic forward passes per case");
  // clang-format on
  add_inference_options(cmd.options, flags);
  return run_command(cmd, argc, argv, [&](const GlobalOptions& g, dist::Communicator& comm) {
    if (method != "mc-dropout") throw po::error("--method " + method + ": available: mc-dropout");
    s.inference = to_inference_options(flags);
    s.model_load = to_model_load_options(flags);
    s.device = g.device;
    return finish("uncertainty", xai::run_uncertainty(s, comm));
  });
}

}  // namespace unetx::cli
