#include "pipeline/plan.h"

#include <system_error>

#include "io/atomic_file.h"
#include "io/error.h"
#include "io/json_file.h"

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

void check(bool ok, const std::string& reason) {
  if (!ok) throw Error("", reason);
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
  check(p.normalization == "zscore", "unknown normalization \"" + p.normalization + "\"");
  check(p.network.is_object(), "network must be a JSON object");
}

}  // namespace

json Plan::to_json() const {
  return json{{"format_version", kFormatVersion}, {"num_cases", num_cases},
              {"median_spacing", median_spacing}, {"median_size", median_size},
              {"target_spacing", target_spacing}, {"normalization", normalization},
              {"in_channels", in_channels},       {"labels", labels},
              {"spatial_dims", spatial_dims},     {"patch_size", patch_size},
              {"batch_size", batch_size},         {"network", network}};
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
