#include "models/registry.h"

#include <functional>
#include <map>
#include <sstream>
#include <stdexcept>

#include "models/eunet.h"
#include "models/udtransnet.h"
#include "models/unet.h"
#include "models/unetpp.h"

namespace unetx::models {
namespace {

using Factory = std::function<ModelPtr(const nlohmann::json&)>;

struct Entry {
  Factory factory;
  std::string description;
};

ModelPtr make_se_baseline(nlohmann::json c) {
  if (c.contains("features")) {
    throw std::invalid_argument("unet_se_baseline: the preset fixes features (32, 64, 128, 256); "
                                "use \"unet\" to choose them");
  }
  c["name"] = "unet";
  c["features"] = {32, 64, 128, 256};
  return make_unet(unet_options_from_json(c));
}

const std::map<std::string, Entry>& entries() {
  static const std::map<std::string, Entry> table = {
      {"unet",
       {[](const nlohmann::json& c) { return make_unet(unet_options_from_json(c)); },
        "U-Net (Ronneberger 2015 / Cicek 2016), optional SE on encoder stages"}},
      {"unet_se_baseline",
       {make_se_baseline, "U-Net preset of the SE study: L=3, 32/64/128 channels, bottleneck 256"}},
      {"unetpp",
       {[](const nlohmann::json& c) { return make_unetpp(unetpp_options_from_json(c)); },
        "UNet++ (Zhou 2018): nested dense skips, deep supervision, prunable"}},
      {"eunet",
       {[](const nlohmann::json& c) { return make_eunet(eunet_options_from_json(c)); },
        "EU-Net: U-Net with MHEX+ decoder modules (gate, deep supervision, CAM kernel)"}},
      {"udtransnet",
       {[](const nlohmann::json& c) { return make_udtransnet(udtransnet_options_from_json(c)); },
        "UDTransNet (Wang 2024): dual attention transformer skips + decoder recalibration"}},
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
  const auto it = entries().find(name);
  if (it == entries().end()) {
    throw std::invalid_argument("unknown model '" + name + "' (known: " + known_names() + ")");
  }
  return it->second.factory(config);
}

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const auto& entry : entries()) names.push_back(entry.first);
  return names;
}

std::string model_description(const std::string& name) {
  const auto it = entries().find(name);
  return it == entries().end() ? std::string() : it->second.description;
}

int64_t parameter_count(const SegmentationModel& model) {
  int64_t n = 0;
  for (const auto& p : model.parameters()) n += p.numel();
  return n;
}

nlohmann::json parse_option_value(const std::string& text) {
  if (text == "true") return true;
  if (text == "false") return false;
  auto number = [](const std::string& item) -> nlohmann::json {
    if (item.empty()) return nullptr;
    size_t used = 0;
    try {
      const long long i = std::stoll(item, &used);
      if (used == item.size()) return i;
      const double d = std::stod(item, &used);
      if (used == item.size()) return d;
    } catch (const std::exception&) {
    }
    return nullptr;
  };
  if (text.find(',') != std::string::npos) {
    nlohmann::json list = nlohmann::json::array();
    std::stringstream in(text);
    for (std::string item; std::getline(in, item, ',');) {
      const auto n = number(item);
      list.push_back(n.is_null() ? nlohmann::json(item) : n);
    }
    return list;
  }
  const auto n = number(text);
  return n.is_null() ? nlohmann::json(text) : n;
}

nlohmann::json model_config(const std::string& name, int64_t in_channels, int64_t num_classes,
                            int dims, const std::vector<std::string>& options) {
  nlohmann::json c = {
      {"name", name}, {"in_channels", in_channels}, {"num_classes", num_classes}, {"dims", dims}};
  for (const auto& item : options) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw std::invalid_argument("model option '" + item + "' is not key=value");
    }
    c[item.substr(0, eq)] = parse_option_value(item.substr(eq + 1));
  }
  return c;
}

}  // namespace unetx::models
