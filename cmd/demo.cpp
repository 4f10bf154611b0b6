// unetx demo: the whole chain on real data shipped by Debian (Colin27 T1 + brain mask from
// mricron-data): brain extraction trained on axial slabs of the head and evaluated on held-out
// slabs. Leaves a browsable folder and prints the held-out Dice on stdout.
#include <spdlog/spdlog.h>

#include <iostream>

#include "cmd/cli.h"
#include "cmd/commands.h"
#include "io/error.h"
#include "io/json_file.h"
#include "pipeline/cross_validation_run.h"
#include "pipeline/demo_data.h"
#include "pipeline/evaluate_folds.h"
#include "pipeline/evaluate_run.h"
#include "pipeline/predict_run.h"
#include "pipeline/preprocess_run.h"
#include "pipeline/stop_request.h"
#include "pipeline/trainer.h"
#include "xai/explain_run.h"
#include "xai/uncertainty_run.h"

namespace unetx::cli {
namespace {

namespace fs = std::filesystem;

struct DemoSettings {
  fs::path output;
  fs::path templates;
  int epochs = 20;
  int iterations = 25;
  double spacing = 2.0;
  int dims = 2;
  int folds = 0;    // > 0: K-fold cross-validation over every slab instead of fixed held-out slabs
  int slabs = 0;    // 0: 8 (held-out demo) or 4 per fold (cross-validation)
};

// A stop request (SIGTERM, SIGUSR1, Ctrl-C) honoured by a step: the demo ends there with 75.
struct Stopped {};

int check(const char* step, const pipeline::RunSummary& summary) {
  if (summary.failed > 0) throw Error(step, std::to_string(summary.failed) + " case(s) failed");
  if (summary.pending > 0) throw Stopped{};
  return 0;
}

void train_or_stop(const pipeline::TrainSettings& settings, dist::Communicator& comm) {
  if (pipeline::train(settings, comm).stopped_on_signal) throw Stopped{};
}

// Step 1 of both modes: the slabs of `manifest` onto the demo's grid.
fs::path preprocess(const DemoSettings& d, const fs::path& manifest, dist::Communicator& comm) {
  pipeline::PreprocessSettings pre;
  pre.input = manifest;
  pre.output = d.output / "preprocessed";
  pre.target_spacing = std::array<double, 3>{d.spacing, d.spacing, d.spacing};
  pre.spatial_dims = d.dims;
  pre.features = {16, 32, 64, 128};
  pre.label_names = {"background", "brain"};
  check("preprocess", pipeline::run_preprocess(pre, comm));
  return pre.output;
}

pipeline::TrainSettings train_settings(const DemoSettings& d, const GlobalOptions& g,
                                       const fs::path& preprocessed) {
  pipeline::TrainSettings train;
  train.input = preprocessed;
  train.output = d.output / "model";
  train.epochs = d.epochs;
  train.iterations = d.iterations;
  train.seed = g.seed;
  train.resume = true;  // a rerun of the demo continues where it stopped
  return train;
}

// Slab-wise K-fold cross-validation: each slab is predicted by the fold model that never saw
// it; the evaluation reports brain Dice as mean ± std over the folds.
int run_cross_validation(const DemoSettings& d, const GlobalOptions& g, dist::Communicator& comm) {
  pipeline::DemoDataSettings data_settings;
  data_settings.templates = d.templates;
  data_settings.output = d.output / "data";
  data_settings.slabs = d.slabs > 0 ? d.slabs : 4 * d.folds;
  data_settings.held_out.clear();
  data_settings.brain_range_only = true;
  data_settings.level_bands = data_settings.slabs / d.folds;
  const pipeline::DemoData data = pipeline::make_demo_data(data_settings);
  spdlog::info("step 1/4: preprocess");
  const fs::path preprocessed = preprocess(d, data.train_manifest, comm);

  pipeline::TrainSettings train = train_settings(d, g, preprocessed);
  train.folds = d.folds;
  train.fold = pipeline::kAllFolds;
  train.stratify = "level";
  train.stratify_manifest = data.train_manifest;
  spdlog::info("step 2/4: train {} folds", d.folds);
  train_or_stop(train, comm);

  pipeline::CrossValidationPredictSettings cv;
  cv.cohort = data.train_manifest;
  cv.training = train.output;
  cv.output = d.output / "cross_validation";
  spdlog::info("step 3/4: predict every slab with the fold that held it out");
  const auto predictions = pipeline::predict_cross_validation(cv, comm);
  check("predict", predictions.summary);

  pipeline::EvaluateSettings evaluate;
  evaluate.predictions = predictions.predictions;
  evaluate.references = predictions.references;
  evaluate.output = d.output / "evaluation";
  for (int k = 0; k < d.folds; ++k)
    evaluate.training_logs.push_back(pipeline::fold_directory(train.output, k) / "train_log.jsonl");
  spdlog::info("step 4/4: evaluate");
  check("evaluate", pipeline::run_evaluate(evaluate, comm));

  if (comm.is_root()) {
    auto summary = io::read_json(evaluate.output / "summary.json");
    const auto& over = summary["cross_validation"]["over_folds"]["1"];
    auto mean_std = [&](const char* metric) {
      return fmt::format("{:.3f} ± {:.3f}", over[metric]["mean"].get<double>(),
                         over[metric]["std"].get<double>());
    };
    std::cout << "Colin27 " << d.folds << "-fold slab-wise cross-validation, " << d.dims
              << "-D U-Net, brain Dice over " << over["dice"]["folds"].get<int>()
              << " folds: pooled per fold " << mean_std(pipeline::kPooledDice)
              << ", mean of slabs per fold " << mean_std("dice") << "  (outputs in "
              << d.output.string() << ")\n";
  }
  return 0;
}

int run_demo(const DemoSettings& d, const GlobalOptions& g, dist::Communicator& comm) {
  if (d.folds > 0) return run_cross_validation(d, g, comm);
  pipeline::DemoDataSettings data_settings;
  data_settings.templates = d.templates;
  data_settings.output = d.output / "data";
  if (d.slabs > 0) data_settings.slabs = d.slabs;
  const pipeline::DemoData data = pipeline::make_demo_data(data_settings);

  spdlog::info("step 1/6: preprocess");
  const fs::path preprocessed = preprocess(d, data.train_manifest, comm);
  const pipeline::TrainSettings train = train_settings(d, g, preprocessed);
  spdlog::info("step 2/6: train");
  train_or_stop(train, comm);
  const fs::path checkpoint = train.output / "checkpoint_best.pt";

  pipeline::PredictSettings predict;
  predict.input = data.test_manifest;
  predict.output = d.output / "predictions";
  predict.model = checkpoint;
  spdlog::info("step 3/6: predict the held-out slabs");
  check("predict", pipeline::run_predict(predict, comm));

  xai::ExplainSettings explain;
  explain.input = data.test_manifest;
  explain.output = d.output / "explain";
  explain.model = checkpoint;
  spdlog::info("step 4/6: explain (Grad-CAM)");
  check("explain", xai::run_explain(explain, comm));

  xai::UncertaintySettings uncertainty;
  uncertainty.input = data.test_manifest;
  uncertainty.output = d.output / "uncertainty";
  uncertainty.model = checkpoint;
  uncertainty.samples = 8;
  spdlog::info("step 5/6: uncertainty (MC dropout)");
  check("uncertainty", xai::run_uncertainty(uncertainty, comm));

  pipeline::EvaluateSettings evaluate;
  evaluate.predictions = predict.output;
  evaluate.references = data.test_manifest;
  evaluate.output = d.output / "evaluation";
  spdlog::info("step 6/6: evaluate");
  check("evaluate", pipeline::run_evaluate(evaluate, comm));

  if (comm.is_root()) {
    auto summary = io::read_json(evaluate.output / "summary.json");
    const double dice = summary["labels"]["1"]["dice"]["mean"].get<double>();
    std::cout << "held-out brain Dice: " << dice << "  (outputs in " << d.output.string() << ")\n";
  }
  return 0;
}

}  // namespace

int cmd_demo(int argc, char** argv) {
  DemoSettings d;
  CommandLine cmd{"demo", "unetx demo [-o DIR] [options]"};
  // clang-format off
  cmd.options.add_options()
      ("output,o", path_value(&d.output, "demo-output"), "output folder for every step")
      ("templates", path_value(&d.templates, "/usr/share/mricron/templates"),
       "folder with ch2.nii.gz and ch2bet.nii.gz (Debian mricron-data)")
      ("epochs", po::value(&d.epochs)->default_value(d.epochs), "training epochs")
      ("iterations", po::value(&d.iterations)->default_value(d.iterations), "batches per epoch")
      ("spacing", po::value(&d.spacing)->default_value(d.spacing), "isotropic working spacing in mm")
      ("dims", po::value(&d.dims)->default_value(d.dims), "2 (slice-wise) or 3 (volumetric) network")
      ("folds", po::value(&d.folds)->default_value(0),
       "K-fold slab-wise cross-validation over the whole head (prints Dice mean ± std over folds)")
      ("slabs", po::value(&d.slabs)->default_value(0),
       "axial slabs the head is cut into; 0 = 8, or 4 per fold with --folds (folds stratified on the slab's axial band)");
  // clang-format on
  return run_command(cmd, argc, argv, [&](const GlobalOptions& g, dist::Communicator& comm) {
    pipeline::install_stop_handlers();
    try {
      return run_demo(d, g, comm);
    } catch (const Stopped&) {
      spdlog::warn("demo stopped on request");
      return pipeline::kExitStoppedOnSignal;
    }
  });
}

}  // namespace unetx::cli
