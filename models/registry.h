// Model zoo by name: the one place that turns a stored model config (JSON) back into a network,
// used by checkpoints, `unetx train` and `unetx predict`.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/segmentation_model.h"

namespace unetx::models {

// config: {"name": "unet", "in_channels": .., "num_classes": .., "dims": .., ...} as written by
// SegmentationModel::config(). Throws std::invalid_argument for a missing or unknown name (the
// message lists the known names) or invalid options.
ModelPtr make_model(const nlohmann::json& config);

// Names make_model accepts, sorted.
std::vector<std::string> model_names();

// Number of trainable scalars (parameters, not buffers such as batch-norm running statistics).
int64_t parameter_count(const SegmentationModel& model);

}  // namespace unetx::models
