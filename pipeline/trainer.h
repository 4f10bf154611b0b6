// Training: a preprocessed cohort (the folder `unetx preprocess` wrote) -> checkpoints.
//
// Each epoch draws `iterations` random patch batches (foreground oversampling, augmentation) from
// the training cases, takes optimizer steps on the chosen loss (summed over deep-supervision
// heads with weights 1, 1/2, 1/4, ... normalised to 1, for models that have them), then predicts
// every validation case whole (sliding windows) and records its Dice and loss. The learning rate
// follows the schedule (pipeline/optimization.h); early stopping watches validation loss or Dice.
// The last and the best (highest validation Dice) epochs are saved as one-file checkpoints, with
// the schedule and early-stopping state, and every epoch appends a line to train_log.jsonl.
// With several ranks (data parallel): rank 0's weights are broadcast at the start; rank r draws
// samples [r b, (r + 1) b) of every global batch (pipeline/batch_loader.h), so every rank takes
// the same number of steps and R ranks with batch b see the batches of one rank with batch R b;
// gradients are summed in fused buckets while backward runs and averaged
// (distributed/gradient_buckets.h); validation cases are split over the ranks and their Dice and
// loss reduced, so every rank gets the same values; only rank 0 writes checkpoints, logs, splits.
//
// Cross-validation: with `folds` = K the cases are split once into K folds (splits.json, reused
// by every fold and every rerun); fold k trains on the other folds into <output>/fold_<k>/ and
// validates on its own cases; kAllFolds trains every fold in turn.
//
// Exact resume: every random draw of a step (the patches, their augmentation, dropout) is seeded
// from (seed, epoch, iteration, sample or rank), so a run's position is its epoch and iteration.
// SIGTERM / SIGUSR1 / SIGINT (pipeline/stop_request.h) stop the loop after the current step; the
// checkpoint then records the position inside the epoch, and --resume continues from there to
// the same weights, bit for bit on the CPU, as a run that was never stopped.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "distributed/communicator.h"
#include "pipeline/augment.h"

namespace unetx::pipeline {

struct TrainSettings {
  std::filesystem::path input;   // preprocess output folder (plan.json + manifest.csv)
  std::filesystem::path output;  // checkpoints, log, split
  int epochs = 30;
  int iterations = 50;          // batches per epoch
  int batch_size = 0;           // 0: the plan's
  double learning_rate = 1e-3;  // initial rate of the schedule
  double weight_decay = 0.0;
  std::string optimizer = "adam";     // adam | adamw | sgd (Nesterov)
  std::string schedule = "constant";  // constant | poly | cosine | plateau
  std::string loss = "dice_ce";       // dice_ce | bce_iou_dice
  int early_stop = 0;                 // epochs without improvement before stopping; 0 = never
  std::string early_stop_on = "loss";  // loss (validation loss) | dice (validation Dice)
  // Network: empty = the plan's; options "key=value" override the plan's network options.
  std::string model;
  std::vector<std::string> model_options;
  double foreground_fraction = 0.33;  // share of patches centred on a labelled voxel
  AugmentOptions augment;             // default: random flips (AugmentOptions::preset)
  double val_fraction = 0.2;          // share of cases held out for validation (at least one)
  bool resume = false;                // continue from <output>/checkpoint_last.pt
  int folds = 0;                      // K-fold cross-validation; 0 = one hold-out split
  int fold = 0;                       // which fold to train, or kAllFolds
  std::string stratify;               // manifest column the folds are stratified on; "" = none
  std::filesystem::path stratify_manifest;  // where that column is; default <input>/manifest.csv
  int loader_workers = 2;             // background threads preparing batches; 0 = inline
  double bucket_mb = 25.0;            // gradient bucket size (MB = 2^20 bytes) with several ranks
  bool sync_batch_norm = false;       // batch-norm statistics over every rank's samples
  bool deterministic = false;         // deterministic kernels only (bit-exact CPU reruns)
  bool bf16 = false;                  // bfloat16 autocast
  uint64_t seed = 0;
  std::string device = "cpu";
};

inline constexpr int kAllFolds = -1;

struct TrainResult {
  int epochs_run = 0;
  double best_val_dice = 0.0;
  int best_epoch = -1;
  bool stopped_on_signal = false;  // saved mid-run on SIGTERM/SIGUSR1/SIGINT: rerun with resume
  std::vector<double> fold_best_dice;  // with folds: best validation Dice of each fold trained
};

// Throws std::invalid_argument naming the first unknown optimizer, schedule, loss, early-stop
// target or model name in `settings`: cheap, so commands call it before any work starts.
void check_names(const TrainSettings& settings);

// Throws unetx::Error for a missing plan/manifest, too few cases, or unreadable cases. With
// folds and kAllFolds, the result is the last fold's, plus every fold's best Dice.
TrainResult train(const TrainSettings& settings, dist::Communicator& comm);

// Where fold k of a cross-validation writes (<output>/fold_<k>).
std::filesystem::path fold_directory(const std::filesystem::path& output, int fold);

}  // namespace unetx::pipeline
