// unetx demo: the whole chain on real data shipped by Debian (Colin27 T1 + brain mask from
// mricron-data): brain extraction trained on axial slabs of the head and evaluated on held-out
// slabs. Leaves a browsable folder and prints the held-out Dice on stdout.
#include <spdlog/spdlog.h>

#include <iostream>

#include "cmd/cli.h"
#include "cmd/commands.h"
#include "io/error.h"
#include "io/json_file.h"
#include "pipeline/demo_data.h"
#include "pipeline/evaluate_run.h"
#include "pipeline/predict_run.h"
#include "pipeline/preprocess_run.h"
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
};

int check(const char* step, const pipeline::RunSummary& summary) {
  if (summary.failed > 0) throw Error(step, std::to_string(summary.failed) + " case(s) failed");
  return 0;
}

int run_demo(const DemoSettings& d, const GlobalOptions& g, dist::Communicator& comm) {
  pipeline::DemoDataSettings data_settings;
  data_settings.templates = d.templates;
  data_settings.output = d.output / "data";
  const pipeline::DemoData data = pipeline::make_demo_data(data_settings);

  pipeline::PreprocessSettings pre;
  pre.input = data.train_manifest;
  pre.output = d.output / "preprocessed";
  pre.target_spacing = std::array<double, 3>{d.spacing, d.spacing, d.spacing};
  pre.spatial_dims = d.dims;
  pre.features = {16, 32, 64, 128};
  pre.label_names = {"background", "brain"};
  spdlog::info("step 1/6: preprocess");
  check("preprocess", pipeline::run_preprocess(pre, comm));

  pipeline::TrainSettings train;
  train.input = pre.output;
  train.output = d.output / "model";
  train.epochs = d.epochs;
  train.iterations = d.iterations;
  train.seed = g.seed;
  train.resume = true;  // a rerun of the demo continues where it stopped
  spdlog::info("step 2/6: train");
  pipeline::train(train, comm);
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
      ("dims", po::value(&d.dims)->default_value(d.dims), "2 (slice-wise) or 3 (volumetric) network");
  // clang-format on
  return run_command(cmd, argc, argv, [&](const GlobalOptions& g, dist::Communicator& comm) {
    return run_demo(d, g, comm);
  });
}

}  // namespace unetx::cli
