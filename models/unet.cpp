#include "models/unet.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

#include "models/flops.h"

namespace unetx::models {
namespace {

namespace nn = torch::nn;

const std::set<std::string> kNorms = {"instance", "batch", "group", "none"};
const std::set<std::string> kUpsamples = {"transposed", "interpolate"};

std::string join(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

void validate(const UNetOptions& o) {
  auto fail = [](const std::string& what) { throw std::invalid_argument("unet: " + what); };
  if (o.dims() != 2 && o.dims() != 3) fail("dims must be 2 or 3, got " + std::to_string(o.dims()));
  if (o.in_channels() < 1) fail("in_channels must be >= 1");
  if (o.num_classes() < 1) fail("num_classes must be >= 1");
  if (o.features().size() < 2) {
    fail("features needs >= 2 entries (encoder levels + bottleneck), got " +
         std::to_string(o.features().size()));
  }
  for (int64_t f : o.features()) {
    if (f < 1) fail("every features entry must be >= 1");
  }
  if (!kNorms.count(o.norm())) fail("norm '" + o.norm() + "' is not one of: " + join(kNorms));
  if (!kUpsamples.count(o.upsample())) {
    fail("upsample '" + o.upsample() + "' is not one of: " + join(kUpsamples));
  }
  if (!(o.dropout() >= 0.0 && o.dropout() < 1.0)) fail("dropout must be in [0, 1)");
  if (!(o.negative_slope() >= 0.0)) fail("negative_slope must be >= 0");
  const auto& kinds = recalibration_kinds();
  if (std::find(kinds.begin(), kinds.end(), o.se()) == kinds.end()) {
    std::string known;
    for (const auto& k : kinds) known += (known.empty() ? "" : ", ") + k;
    fail("se '" + o.se() + "' is not one of: " + known);
  }
  if (o.se_reduction() < 1) fail("se_reduction must be >= 1");
  const auto& strides = o.pool_strides();
  if (strides.empty()) return;
  if (strides.size() + 1 != o.features().size()) {
    fail("pool_strides needs one entry per downsampling (" +
         std::to_string(o.features().size() - 1) + "), got " + std::to_string(strides.size()));
  }
  for (const auto& level : strides) {
    if (level.size() != static_cast<size_t>(o.dims()))
      fail("every pool_strides entry needs " + std::to_string(o.dims()) + " factors, one per axis");
    for (int64_t f : level)
      if (f != 1 && f != 2) fail("pool_strides factors must be 1 or 2, got " + std::to_string(f));
  }
}

nlohmann::json to_json(const UNetOptions& o) {
  nlohmann::json j = {{"name", "unet"},
                      {"in_channels", o.in_channels()},
                      {"num_classes", o.num_classes()},
                      {"dims", o.dims()},
                      {"features", o.features()},
                      {"norm", o.norm()},
                      {"dropout", o.dropout()},
                      {"upsample", o.upsample()},
                      {"negative_slope", o.negative_slope()},
                      {"se", o.se()},
                      {"se_reduction", o.se_reduction()}};
  if (!o.pool_strides().empty()) j["pool_strides"] = o.pool_strides();
  return j;
}

UNetOptions unet_options_from_json(const nlohmann::json& c, const std::string& model,
                                   const std::vector<std::string>& model_keys) {
  std::set<std::string> known = {"name",     "in_channels", "num_classes",    "dims",
                                 "features", "norm",        "dropout",        "upsample",
                                 "negative_slope", "se",    "se_reduction",   "pool_strides"};
  known.insert(model_keys.begin(), model_keys.end());
  const std::string who = model + ": ";
  if (!c.is_object()) throw std::invalid_argument(who + "config must be a JSON object");
  for (const auto& item : c.items()) {
    if (!known.count(item.key())) {
      throw std::invalid_argument(who + "unknown config key '" + item.key() +
                                  "' (known: " + join(known) + ")");
    }
  }
  if (c.contains("name") && c.at("name") != model) {
    throw std::invalid_argument(who + "config name is " + c.at("name").dump() + ", not \"" +
                                model + "\"");
  }
  for (const char* required : {"in_channels", "num_classes"}) {
    if (!c.contains(required)) {
      throw std::invalid_argument(who + "config lacks required key '" + required + "'");
    }
  }
  try {
    UNetOptions o(c.at("in_channels").get<int64_t>(), c.at("num_classes").get<int64_t>());
    if (c.contains("dims")) o.dims(c.at("dims").get<int>());
    if (c.contains("features")) o.features(c.at("features").get<std::vector<int64_t>>());
    if (c.contains("norm")) o.norm(c.at("norm").get<std::string>());
    if (c.contains("dropout")) o.dropout(c.at("dropout").get<double>());
    if (c.contains("upsample")) o.upsample(c.at("upsample").get<std::string>());
    if (c.contains("negative_slope")) o.negative_slope(c.at("negative_slope").get<double>());
    if (c.contains("se")) o.se(c.at("se").get<std::string>());
    if (c.contains("se_reduction")) o.se_reduction(c.at("se_reduction").get<int64_t>());
    if (c.contains("pool_strides"))
      o.pool_strides(c.at("pool_strides").get<std::vector<std::vector<int64_t>>>());
    return o;
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(who + "bad config value: " + e.what());
  }
}

template <int D>
UNetImpl<D>::UNetImpl(UNetOptions options) : options_(std::move(options)) {
  validate(options_);
  check_dims("unet", options_.dims(), D);
  encoder_.build(*this, options_);
  decoder_.build(*this, options_);
  head_ = register_module(
      "head", nn::Sequential(conv1<D>(options_.features()[0], options_.num_classes())));
}

template <int D>
std::vector<int64_t> UNetImpl<D>::size_divisors() const {
  return axis_divisors(level_strides(options_), D);
}

template <int D>
int64_t UNetImpl<D>::size_divisor() const {
  const auto divisors = size_divisors();
  return *std::max_element(divisors.begin(), divisors.end());
}

template <int D>
torch::Tensor UNetImpl<D>::forward(torch::Tensor x) {
  check_input(x, D, "unet", options_.in_channels(), size_divisors());
  const TapFn tap_fn = [this](const std::string& n, const torch::Tensor& t) { tap(n, t); };
  return head_->forward(decoder_.forward(encoder_.forward(x, tap_fn), tap_fn));
}

template <int D>
std::vector<std::string> UNetImpl<D>::tap_names() const {
  auto names = encoder_.tap_names();
  for (auto& n : decoder_.tap_names()) names.push_back(n);
  return names;
}

template <int D>
double UNetImpl<D>::forward_flops(const std::vector<int64_t>& input_shape) const {
  const auto v = level_voxels(input_shape, D, level_strides(options_), "unet");
  const double head = conv_flops(options_.features()[0], options_.num_classes(), 1.0, v[0]);
  return static_cast<double>(input_shape[0]) * (encoder_.flops(v) + decoder_.flops(v) + head);
}

template class UNetImpl<2>;
template class UNetImpl<3>;

ModelPtr make_unet(const UNetOptions& options) {
  validate(options);
  if (options.dims() == 2) return std::make_shared<UNetImpl<2>>(options);
  return std::make_shared<UNetImpl<3>>(options);
}

}  // namespace unetx::models
