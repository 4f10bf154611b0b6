#include "models/model_catalog.h"

#include <stdexcept>

#include "models/flops.h"
#include "models/registry.h"
#include "models/unet.h"

namespace unetx::models {
namespace {

// The same network without its model-specific parts: only the U-Net backbone keys survive.
int64_t unet_parameter_count(const nlohmann::json& config) {
  const auto unet_keys = to_json(UNetOptions(1, 1));
  nlohmann::json c = nlohmann::json::object();
  for (const auto& item : config.items()) {
    if (unet_keys.contains(item.key())) c[item.key()] = item.value();
  }
  c["name"] = "unet";
  return parameter_count(*make_unet(unet_options_from_json(c)));
}

}  // namespace

std::vector<ModelSummary> summarize_models(const std::vector<int64_t>& input_shape,
                                           int64_t num_classes, const nlohmann::json& backbone) {
  if (input_shape.size() != 4 && input_shape.size() != 5) {
    throw std::invalid_argument("input shape must be (B, C, Y, X) or (B, C, Z, Y, X)");
  }
  const int dims = static_cast<int>(input_shape.size()) - 2;
  std::vector<ModelSummary> out;
  for (const auto& name : model_names()) {
    auto config = model_config(name, input_shape[1], num_classes, dims);
    if (name != "unet_se_baseline") {
      for (const auto& item : backbone.items()) config[item.key()] = item.value();
    }
    const auto model = make_model(config);
    ModelSummary s;
    s.name = name;
    s.description = model_description(name);
    s.config = model->config();
    s.parameters = parameter_count(*model);
    s.unet_parameters = unet_parameter_count(s.config);
    s.gflops = forward_flops(*model, input_shape) / 1e9;
    s.size_divisor = model->size_divisor();
    s.taps = model->tap_names();
    out.push_back(std::move(s));
  }
  return out;
}

nlohmann::json to_json(const ModelSummary& s) {
  return {{"name", s.name},
          {"description", s.description},
          {"config", s.config},
          {"parameters", s.parameters},
          {"unet_parameters", s.unet_parameters},
          {"extra_parameters_vs_unet", s.parameters - s.unet_parameters},
          {"gflops", s.gflops},
          {"size_divisor", s.size_divisor},
          {"taps", s.taps}};
}

}  // namespace unetx::models
