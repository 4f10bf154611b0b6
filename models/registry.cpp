#include "models/registry.h"

#include <functional>
#include <map>
#include <stdexcept>

#include "models/unet.h"

namespace unetx::models {
namespace {

using Factory = std::function<ModelPtr(const nlohmann::json&)>;

const std::map<std::string, Factory>& factories() {
  static const std::map<std::string, Factory> table = {
      {"unet", [](const nlohmann::json& c) { return make_unet(unet_options_from_json(c)); }},
  };
  return table;
}

std::string known_names() {
  std::string out;
  for (const auto& name : model_names()) out += (out.empty() ? "" : ", ") + name;
  return out;
}

}  // namespace

ModelPtr make_model(const nlohmann::json& config) {
  if (!config.is_object() || !config.contains("name") || !config.at("name").is_string()) {
    throw std::invalid_argument("model config needs a string \"name\" (known: " + known_names() +
                                ")");
  }
  const auto name = config.at("name").get<std::string>();
  const auto it = factories().find(name);
  if (it == factories().end()) {
    throw std::invalid_argument("unknown model '" + name + "' (known: " + known_names() + ")");
  }
  return it->second(config);
}

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const auto& entry : factories()) names.push_back(entry.first);
  return names;
}

int64_t parameter_count(const SegmentationModel& model) {
  int64_t n = 0;
  for (const auto& p : model.parameters()) n += p.numel();
  return n;
}

}  // namespace unetx::models
