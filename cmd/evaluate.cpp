// unetx evaluate: parse options, call pipeline::run_evaluate (or run_evaluate_comparison).
#include <algorithm>
#include <iostream>

#include "cmd/cli.h"
#include "cmd/commands.h"
#include "pipeline/comparison.h"
#include "pipeline/evaluate_run.h"

namespace unetx::cli {

int cmd_evaluate(int argc, char** argv) {
  pipeline::EvaluateSettings s;
  std::string labels, empty_distance = "nan";
  std::filesystem::path compare;
  std::vector<std::string> training_logs;
  CommandLine cmd{"evaluate", "unetx evaluate -p PREDICTIONS -r REFERENCES -o DIR [options]"};
  // clang-format off
  cmd.options.add_options()
      ("predictions,p", path_value(&s.predictions)->required(),
       "`unetx predict` output folder, or a folder of <case>.nii.gz label maps")
      ("reference,r", path_value(&s.references)->required(),
       "cohort with a label column (a fold column adds a cross-validation summary), or a folder of reference label maps")
      ("output,o", path_value(&s.output)->required(), "output folder: metrics.csv, summary.json, report.html, manifest.csv")
      ("labels", po::value(&labels), "comma-separated label values (default: every label present)")
      ("nsd-tolerance", po::value(&s.metrics.nsd_tolerance_mm)->default_value(1.0),
       "normalized surface Dice tolerance in mm")
      ("empty-distance", po::value(&empty_distance)->default_value("nan"),
       "hd/hd95/assd when a mask is empty: nan (left out of means) or diagonal (image diagonal)")
      ("resample-prediction", po::bool_switch(&s.resample_prediction),
       "map a prediction on another grid onto the reference grid (nearest neighbour) instead of failing")
      ("training-log", po::value(&training_logs)->multitoken(),
       "train_log.jsonl file(s) of `unetx train` (one per fold): training curves in report.html")
      ("uncertainty", path_value(&s.uncertainty),
       "`unetx uncertainty` output folder: uncertainty-vs-Dice scatter in report.html")
      ("attributions", path_value(&s.attributions),
       "`unetx explain` output folder (or <case>_gradcam.nii.gz maps): attribution overlays on "
       "the best and worst cases in report.html")
      ("compare", path_value(&compare),
       "a second prediction set: evaluated too (into OUTPUT/compare) and compared with paired "
       "t-test and Wilcoxon signed-rank (OUTPUT/comparison.csv, table on stdout and in report.html)");
  // clang-format on
  return run_command(cmd, argc, argv, [&](const GlobalOptions&, dist::Communicator& comm) {
    if (!labels.empty())
      for (double v : parse_numbers("labels", labels)) s.labels.push_back(int64_t(v));
    if (empty_distance != "nan" && empty_distance != "diagonal")
      throw po::error("--empty-distance must be nan or diagonal");
    s.metrics.empty_distance_diagonal = empty_distance == "diagonal";
    for (const auto& log : training_logs) s.training_logs.emplace_back(log);
    if (compare.empty()) return finish("evaluate", pipeline::run_evaluate(s, comm));
    const pipeline::ComparisonRun run = pipeline::run_evaluate_comparison(s, compare, comm);
    std::cout << run.table << std::flush;
    const int a = finish("evaluate", run.a);
    const int b = finish("evaluate --compare", run.b);
    return std::max(a, b);
  });
}

}  // namespace unetx::cli
