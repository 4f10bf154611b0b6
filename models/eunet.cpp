#include "models/eunet.h"

#include <stdexcept>

#include "models/flops.h"

namespace unetx::models {

void validate(const EUNetOptions& o) {
  validate(o.backbone());
  require_uniform_pooling("eunet", o.backbone());
  if (o.mhex_channels() < 1) throw std::invalid_argument("eunet: mhex_channels must be >= 1");
}

nlohmann::json to_json(const EUNetOptions& o) {
  auto j = to_json(o.backbone());
  j["name"] = "eunet";
  j["mhex_channels"] = o.mhex_channels();
  return j;
}

EUNetOptions eunet_options_from_json(const nlohmann::json& c) {
  EUNetOptions o(unet_options_from_json(c, "eunet", {"mhex_channels"}));
  try {
    if (c.contains("mhex_channels")) o.mhex_channels(c.at("mhex_channels").get<int64_t>());
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("eunet: bad config value: ") + e.what());
  }
  return o;
}

template <int D>
EUNetImpl<D>::EUNetImpl(EUNetOptions options) : options_(std::move(options)) {
  validate(options_);
  check_dims("eunet", backbone().dims(), D);
  encoder_.build(*this, backbone());
  decoder_.build(*this, backbone());
  mhex_ = register_module("mhex", torch::nn::ModuleList());
  for (int i = 0; i < levels(); ++i) {
    mhex_->push_back(Mhex<D>(backbone().features()[i], options_.mhex_channels(),
                             backbone().num_classes()));
  }
  head_ = register_module("head", torch::nn::Sequential(conv1<D>(backbone().features()[0],
                                                                 backbone().num_classes())));
}

template <int D>
torch::Tensor EUNetImpl<D>::run(const torch::Tensor& x,
                                std::vector<torch::Tensor>* level_logits) {
  check_input(x, D, "eunet", in_channels(), size_divisor());
  const TapFn tap_fn = [this](const std::string& n, const torch::Tensor& t) { tap(n, t); };
  if (level_logits) level_logits->assign(levels(), torch::Tensor());
  auto hook = [&](int i, const torch::Tensor& features) {
    auto out = mhex(i).forward(features, level_logits != nullptr);
    const std::string prefix = "mhex." + std::to_string(i);
    tap(prefix + ".gate", out.gate);
    if (recording_taps()) tap(prefix + ".cam", mhex(i).cam(features));
    if (level_logits) (*level_logits)[i] = out.logits;
    return out.features;
  };
  return head_->forward(decoder_.forward(encoder_.forward(x, tap_fn), tap_fn, {}, hook));
}

template <int D>
torch::Tensor EUNetImpl<D>::forward(torch::Tensor x) {
  return run(x, nullptr);
}

template <int D>
std::vector<torch::Tensor> EUNetImpl<D>::forward_deep_supervision(torch::Tensor x) {
  std::vector<torch::Tensor> level_logits;
  std::vector<torch::Tensor> out = {run(x, &level_logits)};
  for (int i = 0; i < levels(); ++i) {
    out.push_back(i == 0 ? level_logits[i] : resize_like<D>(level_logits[i], x));
  }
  return out;
}

template <int D>
std::vector<std::string> EUNetImpl<D>::tap_names() const {
  auto names = encoder_.tap_names();
  for (int i = levels() - 1; i >= 0; --i) {
    names.push_back("mhex." + std::to_string(i) + ".gate");
    names.push_back("mhex." + std::to_string(i) + ".cam");
    names.push_back("decoder." + std::to_string(i));
  }
  return names;
}

template <int D>
double EUNetImpl<D>::forward_flops(const std::vector<int64_t>& input_shape) const {
  const auto v = level_voxels(input_shape, D, levels(), "eunet");
  double total = encoder_.flops(v) + decoder_.flops(v);
  for (int i = 0; i < levels(); ++i) {
    total += mhex_->template ptr<MhexImpl<D>>(i)->flops(v[i], false);
  }
  total += conv_flops(backbone().features()[0], num_classes(), 1.0, v[0]);
  return static_cast<double>(input_shape[0]) * total;
}

template <int D>
int64_t EUNetImpl<D>::extra_parameter_count() const {
  int64_t n = 0;
  for (const auto& p : mhex_->parameters()) n += p.numel();
  return n;
}

template class EUNetImpl<2>;
template class EUNetImpl<3>;

ModelPtr make_eunet(const EUNetOptions& options) {
  validate(options);
  if (options.backbone().dims() == 2) return std::make_shared<EUNetImpl<2>>(options);
  return std::make_shared<EUNetImpl<3>>(options);
}

}  // namespace unetx::models
