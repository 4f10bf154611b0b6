// unetx explain: parse options, call xai::run_explain.
#include "cmd/cli.h"
#include "cmd/commands.h"
#include "cmd/inference_options.h"
#include "xai/explain_run.h"

namespace unetx::cli {

int cmd_explain(int argc, char** argv) {
  xai::ExplainSettings s;
  InferenceFlags flags;
  std::string method = "gradcam";
  CommandLine cmd{"explain", "unetx explain -i COHORT -m CHECKPOINT -o DIR [options]"};
  // clang-format off
  cmd.options.add_options()
      ("input,i", path_value(&s.input)->required(), "cohort: manifest CSV, dataset.json or folder")
      ("model,m", path_value(&s.model)->required(), "checkpoint")
      ("output,o", path_value(&s.output)->required(),
       "output folder: <case>_gradcam.nii.gz, <case>_gradcam.png, manifest.csv")
      ("method", po::value(&method)->default_value(method), "attribution method: gradcam")
      ("layer", po::value(&s.layer), "feature tap to explain, e.g. decoder.1 (default: decoder.1)")
      ("target-class", po::value(&s.target_class)->default_value(s.target_class),
       "class whose predicted region is explained");
  // clang-format on
  add_inference_options(cmd.options, flags);
  return run_command(cmd, argc, argv, [&](const GlobalOptions& g, dist::Communicator& comm) {
    if (method != "gradcam") throw po::error("--method " + method + ": available: gradcam");
    s.inference = to_inference_options(flags);
    s.model_load = to_model_load_options(flags);
    s.device = g.device;
    return finish("explain", xai::run_explain(s, comm));
  });
}

}  // namespace unetx::cli
