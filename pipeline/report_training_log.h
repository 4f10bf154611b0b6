// Reading the train_log.jsonl files of `unetx train` for the report's training curves.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace unetx::pipeline {

struct EpochRecord {
  double epoch = 0;       // "epoch", 0-based
  double train_loss = 0;  // "train_loss"; NaN when the line has none
  double val_dice = 0;    // "val_dice"; NaN when the line has none
};

// One record per line that parses as a JSON object with a numeric "epoch" (other lines, e.g.
// a line cut short by a killed job, are skipped), sorted by epoch. Throws unetx::Error when the
// file cannot be opened.
std::vector<EpochRecord> read_training_log(const std::filesystem::path& file);

}  // namespace unetx::pipeline
