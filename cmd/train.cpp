// unetx train: parse options, call pipeline::train.
#include <spdlog/spdlog.h>

#include "cmd/cli.h"
#include "cmd/commands.h"
#include "pipeline/trainer.h"

namespace unetx::cli {

int cmd_train(int argc, char** argv) {
  pipeline::TrainSettings s;
  std::string precision = "fp32";
  std::string augment = "flips";
  CommandLine cmd{"train", "unetx train -i PREPROCESSED -o DIR [options]"};
  // clang-format off
  cmd.options.add_options()
      ("input,i", path_value(&s.input)->required(), "folder written by `unetx preprocess`")
      ("output,o", path_value(&s.output)->required(), "output folder: checkpoints, train_log.jsonl, split.json")
      ("epochs", po::value(&s.epochs)->default_value(s.epochs), "epochs")
      ("iterations", po::value(&s.iterations)->default_value(s.iterations), "batches per epoch")
      ("batch-size", po::value(&s.batch_size)->default_value(0), "patches per batch; 0 = the plan's")
      ("lr", po::value(&s.learning_rate)->default_value(s.learning_rate), "Adam learning rate")
      ("weight-decay", po::value(&s.weight_decay)->default_value(s.weight_decay), "Adam weight decay")
      ("fg-fraction", po::value(&s.foreground_fraction)->default_value(s.foreground_fraction),
       "share of patches centred on a labelled voxel")
      ("val-fraction", po::value(&s.val_fraction)->default_value(s.val_fraction),
       "share of cases held out for validation (at least one)")
      ("precision", po::value(&precision)->default_value(precision), "fp32 | bf16 (autocast)")
      ("augment", po::value(&augment)->default_value(augment),
       "none | flips | standard (+ rotations, scaling, noise, blur, brightness, contrast, gamma)"
       " | heavy (standard + elastic)")
      ("resume", po::bool_switch(&s.resume), "continue from <output>/checkpoint_last.pt");
  // clang-format on
  return run_command(cmd, argc, argv, [&](const GlobalOptions& g, dist::Communicator& comm) {
    if (precision != "fp32" && precision != "bf16")
      throw po::error("--precision " + precision + ": expected fp32 or bf16");
    s.bf16 = precision == "bf16";
    try {
      s.augment = pipeline::AugmentOptions::preset(augment);
    } catch (const std::invalid_argument& e) {
      throw po::error(std::string("--augment: ") + e.what());
    }
    s.seed = g.seed;
    s.device = g.device;
    auto result = pipeline::train(s, comm);
    spdlog::info("best validation Dice {:.4f} at epoch {}", result.best_val_dice,
                 result.best_epoch + 1);
    return 0;
  });
}

}  // namespace unetx::cli
