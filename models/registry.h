// Model zoo by name: the one place that turns a stored model config (JSON) back into a network,
// used by checkpoints, `unetx train`, `unetx predict` and `unetx models`.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/segmentation_model.h"

namespace unetx::models {

// config: {"name": "unet", "in_channels": .., "num_classes": .., "dims": .., ...} as written by
// SegmentationModel::config(). Names: "unet", "unet_se_baseline" (a preset: the U-Net with
// L = 3 levels of 32, 64, 128 channels and a 256-channel bottleneck; its config() reads "unet"),
// "unetpp", "eunet", "udtransnet". Every model takes the U-Net backbone keys (features, norm,
// dropout, upsample, negative_slope, se, se_reduction) plus its own. Throws
// std::invalid_argument for a missing or unknown name (the message lists the known names), an
// unknown key or invalid options.
ModelPtr make_model(const nlohmann::json& config);

// Names make_model accepts, sorted.
std::vector<std::string> model_names();

// One line on what the model is (paper and distinguishing part).
std::string model_description(const std::string& name);

// Number of trainable scalars (parameters, not buffers such as batch-norm running statistics).
int64_t parameter_count(const SegmentationModel& model);

// A command-line value for a model option: "32,64,128" -> [32, 64, 128], "true"/"false" -> bool,
// "4" -> 4, "0.1" -> 0.1, anything else -> the string. For flags such as
// `--model-option features=32,64,128` turned into config keys.
nlohmann::json parse_option_value(const std::string& text);

// {"name": name, "in_channels", "num_classes", "dims"} plus every "key=value" of `options`
// (parsed with parse_option_value); throws std::invalid_argument for an item without '='.
nlohmann::json model_config(const std::string& name, int64_t in_channels, int64_t num_classes,
                            int dims, const std::vector<std::string>& options = {});

}  // namespace unetx::models
