// Training: a preprocessed cohort (the folder `unetx preprocess` wrote) -> checkpoints.
//
// Each epoch draws `iterations` random patch batches (foreground oversampling, flips) from the
// training cases, takes Adam steps on Dice + cross-entropy, then predicts every validation case
// whole (sliding windows) and records its Dice. The last and the best (highest validation Dice)
// epochs are saved as one-file checkpoints, and every epoch appends a line to train_log.jsonl.
// With several ranks, gradients are averaged over ranks after each backward pass.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "distributed/communicator.h"
#include "pipeline/augment.h"

namespace unetx::pipeline {

struct TrainSettings {
  std::filesystem::path input;   // preprocess output folder (plan.json + manifest.csv)
  std::filesystem::path output;  // checkpoints, log, split
  int epochs = 30;
  int iterations = 50;          // batches per epoch
  int batch_size = 0;           // 0: the plan's
  double learning_rate = 1e-3;  // Adam
  double weight_decay = 0.0;
  double foreground_fraction = 0.33;  // share of patches centred on a labelled voxel
  AugmentOptions augment;             // default: random flips (AugmentOptions::preset)
  double val_fraction = 0.2;          // share of cases held out for validation (at least one)
  bool resume = false;                // continue from <output>/checkpoint_last.pt
  bool bf16 = false;                  // bfloat16 autocast
  uint64_t seed = 0;
  std::string device = "cpu";
};

struct TrainResult {
  int epochs_run = 0;
  double best_val_dice = 0.0;
  int best_epoch = -1;
};

// Throws unetx::Error for a missing plan/manifest, too few cases, or unreadable cases.
TrainResult train(const TrainSettings& settings, dist::Communicator& comm);

}  // namespace unetx::pipeline
