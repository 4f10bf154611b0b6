// unetx evaluate: parse options, call pipeline::run_evaluate.
#include "cmd/cli.h"
#include "cmd/commands.h"
#include "pipeline/evaluate_run.h"

namespace unetx::cli {

int cmd_evaluate(int argc, char** argv) {
  pipeline::EvaluateSettings s;
  std::string labels;
  CommandLine cmd{"evaluate", "unetx evaluate -p PREDICTIONS -r REFERENCES -o DIR [options]"};
  // clang-format off
  cmd.options.add_options()
      ("predictions,p", path_value(&s.predictions)->required(),
       "`unetx predict` output folder, or a folder of <case>.nii.gz label maps")
      ("reference,r", path_value(&s.references)->required(),
       "cohort with a label column, or a folder of reference label maps")
      ("output,o", path_value(&s.output)->required(), "output folder: metrics.csv, summary.json, manifest.csv")
      ("labels", po::value(&labels), "comma-separated label values (default: every label present)");
  // clang-format on
  return run_command(cmd, argc, argv, [&](const GlobalOptions&, dist::Communicator& comm) {
    if (!labels.empty())
      for (double v : parse_numbers("labels", labels)) s.labels.push_back(int64_t(v));
    return finish("evaluate", pipeline::run_evaluate(s, comm));
  });
}

}  // namespace unetx::cli
