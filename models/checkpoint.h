// Checkpoint: one file holding everything `unetx predict --model ckpt` needs and everything
// `unetx train` needs to resume: model weights + model config + plan + training state (+
// optimizer), tagged with a format version. Written with torch::serialize archives (a zip of
// pickled tensors).
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "models/segmentation_model.h"

namespace unetx::models {

// Bump when the layout changes incompatibly; loaders refuse files newer than this build.
inline constexpr int kCheckpointVersion = 1;

struct CheckpointMeta {
  int format_version = kCheckpointVersion;
  nlohmann::json model_config;  // SegmentationModel::config(); save_checkpoint fills it if null
  nlohmann::json plan;          // the preprocessing plan (plan.json) the model was trained on
  nlohmann::json state;         // training state: epoch, best metric, RNG seed, ...
};

// Writes `path` atomically (temporary ".tmp-<pid>-<name>" in the same folder, then rename): either
// the complete new file is there or the previous one is untouched. Stores meta.model_config, or
// model.config() when that is null; format_version is always written as kCheckpointVersion.
// Throws unetx::Error(path, reason) on failure.
void save_checkpoint(const std::filesystem::path& path, SegmentationModel& model,
                     const CheckpointMeta& meta, torch::optim::Optimizer* optimizer = nullptr);

struct LoadedCheckpoint {
  ModelPtr model;  // rebuilt by make_model(meta.model_config), weights loaded, on `device`,
                   // in eval mode
  CheckpointMeta meta;
};

// Throws unetx::Error(path, reason) for: a missing file, a file that is not a unetx checkpoint,
// a format version newer than kCheckpointVersion, a stored config make_model rejects, and
// weights that do not fit the config (missing, unexpected or wrongly shaped tensors).
LoadedCheckpoint load_checkpoint(const std::filesystem::path& path,
                                 torch::Device device = torch::kCPU);

// Loads the checkpoint's weights into an existing `model` (e.g. one built from command-line
// options to resume training). Throws unetx::Error(path, reason) naming the stored and the
// requested architecture when the stored model config differs from model.config() (different
// model name, or the same name with different keys: the reason lists them), and for the same
// file problems as load_checkpoint. Returns the metadata.
CheckpointMeta load_weights_into(const std::filesystem::path& path, SegmentationModel& model);

// Reads only the metadata (no model is built).
CheckpointMeta read_checkpoint_meta(const std::filesystem::path& path);

// Loads the optimizer state stored with the checkpoint into `optimizer`, which must have been
// built over the parameters of the loaded model. Returns false if the checkpoint has none.
bool load_optimizer_state(const std::filesystem::path& path, torch::optim::Optimizer& optimizer);

}  // namespace unetx::models
