// unetx train: parse options, call pipeline::train.
#include <spdlog/spdlog.h>

#include "cmd/cli.h"
#include "cmd/commands.h"
#include "pipeline/statistics.h"
#include "pipeline/stop_request.h"
#include "pipeline/trainer.h"

namespace unetx::cli {

int cmd_train(int argc, char** argv) {
  pipeline::TrainSettings s;
  std::string precision = "fp32";
  std::string augment = "flips";
  std::string features, se;
  bool deep_supervision = false;
  std::string fold = "0";
  CommandLine cmd{"train", "unetx train -i PREPROCESSED -o DIR [options]"};
  // clang-format off
  cmd.options.add_options()
      ("input,i", path_value(&s.input)->required(), "folder written by `unetx preprocess`")
      ("output,o", path_value(&s.output)->required(), "output folder: checkpoints, train_log.jsonl, split.json")
      ("epochs", po::value(&s.epochs)->default_value(s.epochs), "epochs")
      ("iterations", po::value(&s.iterations)->default_value(s.iterations), "batches per epoch")
      ("batch-size", po::value(&s.batch_size)->default_value(0), "patches per batch; 0 = the plan's")
      ("model", po::value(&s.model), "network (see `unetx models`); default: the plan's")
      ("model-option", po::value(&s.model_options)->composing(),
       "network option key=value, repeatable (e.g. se=scse, deep_supervision=true, heads=4)")
      ("features", po::value(&features), "shortcut for --model-option features=..., e.g. 32,64,128,256")
      ("se", po::value(&se), "shortcut for --model-option se=...: none | cse | sse | scse | srm | fca | monofractal")
      ("deep-supervision", po::bool_switch(&deep_supervision),
       "shortcut for --model-option deep_supervision=true (UNet++; EU-Net always trains its MHEX+ heads)")
      ("optimizer", po::value(&s.optimizer)->default_value(s.optimizer), "adam | adamw | sgd (Nesterov, momentum 0.99)")
      ("lr", po::value(&s.learning_rate)->default_value(s.learning_rate), "initial learning rate")
      ("schedule", po::value(&s.schedule)->default_value(s.schedule),
       "learning rate: constant | poly | cosine | plateau (x0.5 after 5 epochs without better val loss)")
      ("weight-decay", po::value(&s.weight_decay)->default_value(s.weight_decay), "weight decay")
      ("loss", po::value(&s.loss)->default_value(s.loss), "dice_ce | bce_iou_dice")
      ("early-stop", po::value(&s.early_stop)->default_value(s.early_stop),
       "stop after N epochs without a better validation value; 0 = never")
      ("early-stop-on", po::value(&s.early_stop_on)->default_value(s.early_stop_on), "loss | dice")
      ("fg-fraction", po::value(&s.foreground_fraction)->default_value(s.foreground_fraction),
       "share of patches centred on a labelled voxel")
      ("val-fraction", po::value(&s.val_fraction)->default_value(s.val_fraction),
       "share of cases held out for validation (at least one)")
      ("precision", po::value(&precision)->default_value(precision), "fp32 | bf16 (autocast)")
      ("augment", po::value(&augment)->default_value(augment),
       "none | flips | standard (+ rotations, scaling, noise, blur, brightness, contrast, gamma)"
       " | heavy (standard + elastic)")
      ("folds", po::value(&s.folds)->default_value(0),
       "K-fold cross-validation (splits.json, reused); 0 = one hold-out split (--val-fraction)")
      ("fold", po::value(&fold)->default_value(fold), "with --folds: the fold to train (0..K-1), or all")
      ("stratify", po::value(&s.stratify), "with --folds: spread the values of this manifest column evenly over the folds")
      ("stratify-manifest", path_value(&s.stratify_manifest),
       "the cohort manifest holding the --stratify column; default: PREPROCESSED/manifest.csv")
      ("loader-workers", po::value(&s.loader_workers)->default_value(s.loader_workers),
       "threads preparing batches while the model computes; 0 = in the training thread")
      ("bucket-mb", po::value(&s.bucket_mb)->default_value(s.bucket_mb),
       "with several ranks: gradients are averaged in buckets of this many MB, each sent while backward runs")
      ("sync-bn", po::bool_switch(&s.sync_batch_norm),
       "with several ranks and a batch-norm plan (preprocess --norm batch): normalise with the statistics of every rank's samples")
      ("deterministic", po::bool_switch(&s.deterministic),
       "deterministic kernels only: reruns and resumes give bit-identical weights on the CPU")
      ("resume", po::bool_switch(&s.resume),
       "continue from <output>/checkpoint_last.pt (after SIGTERM/SIGUSR1/SIGINT, exactly where it stopped)");
  // clang-format on
  return run_command(cmd, argc, argv, [&](const GlobalOptions& g, dist::Communicator& comm) {
    if (precision != "fp32" && precision != "bf16")
      throw po::error("--precision " + precision + ": expected fp32 or bf16");
    s.bf16 = precision == "bf16";
    if (fold == "all") {
      s.fold = pipeline::kAllFolds;
    } else {
      const double k = parse_numbers("fold", fold, 1)[0];
      if (k != static_cast<int>(k)) throw po::error("--fold " + fold + ": expected a fold number or all");
      s.fold = static_cast<int>(k);
    }
    try {
      s.augment = pipeline::AugmentOptions::preset(augment);
      pipeline::check_names(s);
    } catch (const std::invalid_argument& e) {
      throw po::error(e.what());
    }
    if (!features.empty()) s.model_options.push_back("features=" + features);
    if (!se.empty()) s.model_options.push_back("se=" + se);
    if (deep_supervision) s.model_options.push_back("deep_supervision=true");
    if (!(s.bucket_mb > 0)) throw po::error("--bucket-mb must be > 0");
    s.seed = g.seed;
    s.device = g.device;
    pipeline::install_stop_handlers();
    const pipeline::TrainResult result = pipeline::train(s, comm);
    if (result.stopped_on_signal) {
      spdlog::warn("stopped on request; rerun with --resume to continue where it stopped");
      return pipeline::kExitStoppedOnSignal;
    }
    spdlog::info("best validation Dice {:.4f} at epoch {}", result.best_val_dice,
                 result.best_epoch + 1);
    if (result.fold_best_dice.size() > 1) {
      const auto summary = pipeline::summarize(result.fold_best_dice);
      spdlog::info("best validation Dice over {} folds: {:.4f} ± {:.4f}",
                   result.fold_best_dice.size(), summary.mean, summary.std);
    }
    return 0;
  });
}

}  // namespace unetx::cli
