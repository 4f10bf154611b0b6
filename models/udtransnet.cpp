#include "models/udtransnet.h"

#include <algorithm>
#include <stdexcept>

#include "models/flops.h"

namespace unetx::models {

void validate(const UDTransNetOptions& o) {
  validate(o.backbone());
  require_uniform_pooling("udtransnet", o.backbone());
  auto fail = [](const std::string& what) { throw std::invalid_argument("udtransnet: " + what); };
  if (o.heads() < 1) fail("heads must be >= 1");
  if (o.layers() < 1) fail("layers must be >= 1");
  if (o.dat_patch() < 1 || (o.dat_patch() & (o.dat_patch() - 1)) != 0) {
    fail("dat_patch must be a power of 2, got " + std::to_string(o.dat_patch()));
  }
  const auto& f = o.backbone().features();
  for (size_t i = 0; i + 1 < f.size(); ++i) {
    if (f[i] % o.heads() != 0) {
      fail("features[" + std::to_string(i) + "] = " + std::to_string(f[i]) +
           " is not divisible by heads = " + std::to_string(o.heads()));
    }
  }
}

nlohmann::json to_json(const UDTransNetOptions& o) {
  auto j = to_json(o.backbone());
  j["name"] = "udtransnet";
  j["heads"] = o.heads();
  j["layers"] = o.layers();
  j["dat_patch"] = o.dat_patch();
  return j;
}

UDTransNetOptions udtransnet_options_from_json(const nlohmann::json& c) {
  UDTransNetOptions o(unet_options_from_json(c, "udtransnet", {"heads", "layers", "dat_patch"}));
  try {
    if (c.contains("heads")) o.heads(c.at("heads").get<int64_t>());
    if (c.contains("layers")) o.layers(c.at("layers").get<int64_t>());
    if (c.contains("dat_patch")) o.dat_patch(c.at("dat_patch").get<int64_t>());
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("udtransnet: bad config value: ") + e.what());
  }
  return o;
}

template <int D>
UDTransNetImpl<D>::UDTransNetImpl(UDTransNetOptions options) : options_(std::move(options)) {
  validate(options_);
  check_dims("udtransnet", backbone().dims(), D);
  const auto& f = backbone().features();
  encoder_.build(*this, backbone());
  const std::vector<int64_t> skip_widths(f.begin(), f.end() - 1);
  dat_ = register_module("dat", DualAttentionTransformer(skip_widths, options_.heads(),
                                                         options_.layers(), options_.dat_patch(), D));
  dra_ = register_module("dra", torch::nn::ModuleList());
  for (int64_t c : skip_widths) dra_->push_back(DecoderRecalibration(c));
  decoder_.build(*this, backbone());
  head_ = register_module("head",
                          torch::nn::Sequential(conv1<D>(f[0], backbone().num_classes())));
}

template <int D>
int64_t UDTransNetImpl<D>::size_divisor() const {
  return std::max<int64_t>(int64_t{1} << levels(), options_.dat_patch() << (levels() - 1));
}

template <int D>
torch::Tensor UDTransNetImpl<D>::forward(torch::Tensor x) {
  check_input(x, D, "udtransnet", in_channels(), size_divisor());
  const TapFn tap_fn = [this](const std::string& n, const torch::Tensor& t) { tap(n, t); };
  auto features = encoder_.forward(x, tap_fn);
  const std::vector<torch::Tensor> skips(features.begin(), features.end() - 1);
  const auto fused = dat_->forward(skips);
  for (int i = 0; i < levels(); ++i) {
    tap("dat." + std::to_string(i), fused[i]);
    features[i] = fused[i];
  }
  auto recalibrate = [&](int i, const torch::Tensor& up, const torch::Tensor& skip) {
    auto [out, attention] = dra_->ptr<DecoderRecalibrationImpl>(i)->forward(up, skip);
    tap("dra." + std::to_string(i), attention);
    return out;
  };
  return head_->forward(decoder_.forward(features, tap_fn, recalibrate));
}

template <int D>
std::vector<std::string> UDTransNetImpl<D>::tap_names() const {
  auto names = encoder_.tap_names();
  for (int i = 0; i < levels(); ++i) names.push_back("dat." + std::to_string(i));
  for (int i = levels() - 1; i >= 0; --i) {
    names.push_back("dra." + std::to_string(i));
    names.push_back("decoder." + std::to_string(i));
  }
  return names;
}

template <int D>
double UDTransNetImpl<D>::forward_flops(const std::vector<int64_t>& input_shape) const {
  const auto v = level_voxels(input_shape, D, levels(), "udtransnet");
  double total = encoder_.flops(v) + decoder_.flops(v) + dat_->flops(v[0]);
  for (int i = 0; i < levels(); ++i) total += dra_->ptr<DecoderRecalibrationImpl>(i)->flops(v[i]);
  total += conv_flops(backbone().features()[0], num_classes(), 1.0, v[0]);
  return static_cast<double>(input_shape[0]) * total;
}

template class UDTransNetImpl<2>;
template class UDTransNetImpl<3>;

ModelPtr make_udtransnet(const UDTransNetOptions& options) {
  validate(options);
  if (options.backbone().dims() == 2) return std::make_shared<UDTransNetImpl<2>>(options);
  return std::make_shared<UDTransNetImpl<3>>(options);
}

}  // namespace unetx::models
