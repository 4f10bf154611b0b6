// What `unetx models` prints: every network of the registry, built with its default options for
// a given input, with its size, cost and taps.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace unetx::models {

struct ModelSummary {
  std::string name;
  std::string description;
  nlohmann::json config;          // the built model's config()
  int64_t parameters = 0;
  int64_t unet_parameters = 0;    // the plain U-Net with the same backbone options
  double gflops = 0.0;            // one forward pass on the input, 1e9 FLOPs (flops.h convention)
  int64_t size_divisor = 1;
  std::vector<std::string> taps;
};

// input_shape: (B, C, spatial...) with 2 or 3 spatial sizes; its C is the models' in_channels.
// `backbone` holds extra config keys applied to every model (e.g. {"features": [...]}); a
// preset that fixes them is built without them. Throws std::invalid_argument for a bad shape
// or options.
std::vector<ModelSummary> summarize_models(const std::vector<int64_t>& input_shape,
                                           int64_t num_classes,
                                           const nlohmann::json& backbone = nlohmann::json::object());

nlohmann::json to_json(const ModelSummary& summary);

}  // namespace unetx::models
