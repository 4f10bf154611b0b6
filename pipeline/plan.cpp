#include "pipeline/plan.h"

#include <system_error>

#include "io/atomic_file.h"
#include "io/error.h"
#include "io/json_file.h"
#include "pipeline/orientation.h"

namespace unetx::pipeline {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Reads j[key] as T; a missing key or a value of the wrong type is an Error naming the key.
template <typename T>
T required(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) throw Error("", std::string("missing key \"") + key + "\"");
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    throw Error("", std::string("key \"") + key + "\" has the wrong type");
  }
}

// The same for keys added after format 1: absent means `fallback`.
template <typename T>
T optional(const json& j, const char* key, T fallback) {
  return j.contains(key) ? required<T>(j, key) : fallback;
}

void check(bool ok, const std::string& reason) {
  if (!ok) throw Error("", reason);
}

void validate_channel(const ChannelNormalization& n, size_t c) {
  const std::string where = "intensity_normalization[" + std::to_string(c) + "]: ";
  check(is_normalization_scheme(n.scheme), where + "unknown scheme \"" + n.scheme + "\"");
  if (n.scheme != "ct") return;
  check(n.clip_low <= n.clip_high, where + "clip_low must not exceed clip_high");
  check(n.std > 0, where + "std must be positive");
}

void validate(const Plan& p) {
  for (int a = 0; a < 3; ++a) {
    check(p.target_spacing[a] > 0, "target_spacing must be positive");
    check(p.patch_size[a] >= 1, "patch_size must be at least 1");
  }
  check(p.spatial_dims == 2 || p.spatial_dims == 3, "spatial_dims must be 2 or 3");
  check(p.spatial_dims == 3 || p.patch_size[2] == 1, "a 2-D plan needs patch_size z = 1");
  check(p.in_channels >= 1, "in_channels must be at least 1");
  check(p.labels.size() >= 2, "labels must list background and at least one class");
  check(p.batch_size >= 1, "batch_size must be at least 1");
  check(is_normalization_scheme(p.normalization) || p.normalization == "mixed",
        "unknown normalization \"" + p.normalization + "\"");
  check(p.channel_normalization.empty() ||
            p.channel_normalization.size() == static_cast<size_t>(p.in_channels),
        "intensity_normalization must list one entry per channel");
  for (size_t c = 0; c < p.channel_normalization.size(); ++c)
    validate_channel(p.channel_normalization[c], c);
  check(p.modality.empty() || p.modality.size() == static_cast<size_t>(p.in_channels),
        "modality must list one entry per channel");
  check(p.network.is_object(), "network must be a JSON object");
}

json channel_json(const ChannelNormalization& n) {
  json j{{"scheme", n.scheme}};
  if (n.scheme == "ct") {
    j["clip_low"] = n.clip_low;
    j["clip_high"] = n.clip_high;
    j["mean"] = n.mean;
    j["std"] = n.std;
  }
  return j;
}

ChannelNormalization channel_from_json(const json& j) {
  check(j.is_object(), "intensity_normalization entries must be objects");
  ChannelNormalization n;
  n.scheme = required<std::string>(j, "scheme");
  if (n.scheme == "ct") {
    n.clip_low = required<double>(j, "clip_low");
    n.clip_high = required<double>(j, "clip_high");
    n.mean = required<double>(j, "mean");
    n.std = required<double>(j, "std");
  }
  return n;
}

}  // namespace

bool is_normalization_scheme(const std::string& scheme) {
  return scheme == "zscore" || scheme == "zscore_nonzero" || scheme == "ct";
}

ChannelNormalization Plan::normalization_of(int channel) const {
  if (channel_normalization.empty()) return ChannelNormalization{};
  return channel_normalization.at(static_cast<size_t>(channel));
}

json Plan::to_json() const {
  json channels = json::array();
  for (const auto& n : channel_normalization) channels.push_back(channel_json(n));
  return json{{"format_version", kFormatVersion},
              {"num_cases", num_cases},
              {"median_spacing", median_spacing},
              {"median_size", median_size},
              {"target_spacing", target_spacing},
              {"normalization", normalization},
              {"intensity_normalization", channels},
              {"modality", modality},
              {"crop_to_nonzero", crop_to_nonzero},
              {"orientation", orientation},
              {"memory_budget_gb", memory_budget_gb},
              {"estimated_memory_gb", estimated_memory_gb},
              {"in_channels", in_channels},
              {"labels", labels},
              {"spatial_dims", spatial_dims},
              {"patch_size", patch_size},
              {"batch_size", batch_size},
              {"network", network},
              {"fingerprint", fingerprint}};
}

Plan Plan::from_json(const json& j) {
  check(j.is_object(), "a plan must be a JSON object");
  const int version = required<int>(j, "format_version");
  if (version > kFormatVersion) {
    throw Error("", "plan format_version " + std::to_string(version) +
                        " is newer than this unetx understands (" + std::to_string(kFormatVersion) +
                        "): upgrade unetx or rerun preprocess");
  }
  check(version >= 1, "invalid plan format_version " + std::to_string(version));
  Plan p;
  p.num_cases = required<int>(j, "num_cases");
  p.median_spacing = required<std::array<double, 3>>(j, "median_spacing");
  p.median_size = required<std::array<int64_t, 3>>(j, "median_size");
  p.target_spacing = required<std::array<double, 3>>(j, "target_spacing");
  p.normalization = required<std::string>(j, "normalization");
  p.in_channels = required<int>(j, "in_channels");
  p.labels = required<std::vector<std::string>>(j, "labels");
  p.spatial_dims = required<int>(j, "spatial_dims");
  p.patch_size = required<std::array<int64_t, 3>>(j, "patch_size");
  p.batch_size = required<int>(j, "batch_size");
  p.network = required<json>(j, "network");
  // Format 1 has none of these: z-score on the uncropped grid, as it was then.
  for (const auto& n : optional<json>(j, "intensity_normalization", json::array())) {
    p.channel_normalization.push_back(channel_from_json(n));
  }
  p.modality = optional<std::vector<std::string>>(j, "modality", {});
  p.crop_to_nonzero = optional<bool>(j, "crop_to_nonzero", false);
  p.orientation = optional<std::string>(j, "orientation", "native");
  p.memory_budget_gb = optional<double>(j, "memory_budget_gb", 0.0);
  p.estimated_memory_gb = optional<double>(j, "estimated_memory_gb", 0.0);
  p.fingerprint = optional<json>(j, "fingerprint", json::object());
  check(is_orientation(p.orientation), "unknown orientation \"" + p.orientation + "\"");
  validate(p);
  return p;
}

void Plan::save(const fs::path& file) const {
  io::write_text_atomic(file, to_json().dump(2) + "\n");
}

Plan Plan::load(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) throw Error(file.string(), "no plan: run `unetx preprocess` first");
  const json j = io::read_json(file);
  try {
    return from_json(j);
  } catch (const Error& e) {
    throw Error(file.string(), e.reason());
  }
}

}  // namespace unetx::pipeline
