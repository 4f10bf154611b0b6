#include "models/unetpp.h"

#include <stdexcept>

#include "models/flops.h"

namespace unetx::models {
namespace {

namespace nn = torch::nn;

std::string key(int i, int j) { return std::to_string(i) + "_" + std::to_string(j); }

}  // namespace

void validate(const UNetPlusPlusOptions& o) {
  validate(o.backbone());
  require_uniform_pooling("unetpp", o.backbone());
  const int L = static_cast<int>(o.backbone().features().size()) - 1;
  if (o.prune_level() < 0 || o.prune_level() > L) {
    throw std::invalid_argument("unetpp: prune_level must be 0 (full network) or 1.." +
                                std::to_string(L) + ", got " + std::to_string(o.prune_level()));
  }
  if (!o.deep_supervision() && o.prune_level() != 0 && o.prune_level() != L) {
    throw std::invalid_argument("unetpp: prune_level " + std::to_string(o.prune_level()) +
                                " needs the deep-supervision heads (deep_supervision: true)");
  }
}

nlohmann::json to_json(const UNetPlusPlusOptions& o) {
  auto j = to_json(o.backbone());
  j["name"] = "unetpp";
  j["deep_supervision"] = o.deep_supervision();
  j["prune_level"] = o.prune_level();
  return j;
}

UNetPlusPlusOptions unetpp_options_from_json(const nlohmann::json& c) {
  UNetPlusPlusOptions o(unet_options_from_json(c, "unetpp", {"deep_supervision", "prune_level"}));
  try {
    if (c.contains("deep_supervision")) o.deep_supervision(c.at("deep_supervision").get<bool>());
    if (c.contains("prune_level")) o.prune_level(c.at("prune_level").get<int>());
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("unetpp: bad config value: ") + e.what());
  }
  return o;
}

template <int D>
UNetPlusPlusImpl<D>::UNetPlusPlusImpl(UNetPlusPlusOptions options) : options_(std::move(options)) {
  validate(options_);
  check_dims("unetpp", backbone().dims(), D);
  const auto& f = backbone().features();
  const int L = levels();
  encoder_.build(*this, backbone());
  std::vector<std::pair<std::string, std::shared_ptr<nn::Module>>> ups, nodes;
  for (int j = 1; j <= L; ++j) {
    for (int i = 0; i + j <= L; ++i) {
      ups.emplace_back(key(i, j), make_up<D>(backbone(), f[i + 1], f[i]).ptr());
      nodes.emplace_back(key(i, j), make_stage<D>(backbone(), (j + 1) * f[i], f[i], true).ptr());
    }
  }
  up_ = register_module("up", nn::ModuleDict(ups));
  nodes_ = register_module("nodes", nn::ModuleDict(nodes));
  heads_ = register_module("heads", nn::ModuleList());
  for (int j = options_.deep_supervision() ? 1 : L; j <= L; ++j) {
    heads_->push_back(conv1<D>(f[0], backbone().num_classes()));
  }
}

template <int D>
void UNetPlusPlusImpl<D>::set_prune_level(int level) {
  auto o = options_;
  o.prune_level(level);
  validate(o);
  options_ = o;
}

template <int D>
std::vector<torch::Tensor> UNetPlusPlusImpl<D>::top_row(torch::Tensor x, int depth) {
  const TapFn tap_fn = [this](const std::string& n, const torch::Tensor& t) { tap(n, t); };
  // grid[i][j] = X(i,j); column 0 from the encoder (the bottleneck only when depth = L).
  std::vector<std::vector<torch::Tensor>> grid(depth + 1);
  const auto column0 = encoder_.forward(x, tap_fn, depth);
  for (int i = 0; i <= depth; ++i) grid[i].push_back(column0[i]);
  for (int j = 1; j <= depth; ++j) {
    for (int i = 0; i + j <= depth; ++i) {
      std::vector<torch::Tensor> inputs(grid[i].begin(), grid[i].begin() + j);
      inputs.push_back((*up_)[key(i, j)]->as<nn::SequentialImpl>()->forward(grid[i + 1][j - 1]));
      auto node = (*nodes_)[key(i, j)]->as<nn::SequentialImpl>()->forward(torch::cat(inputs, 1));
      tap("node." + std::to_string(i) + "." + std::to_string(j), node);
      grid[i].push_back(node);
    }
  }
  return std::vector<torch::Tensor>(grid[0].begin() + 1, grid[0].end());
}

template <int D>
torch::Tensor UNetPlusPlusImpl<D>::head(int j, const torch::Tensor& x0j) {
  const int index = options_.deep_supervision() ? j - 1 : 0;
  return heads_->template ptr<typename Layers<D>::ConvImpl>(index)->forward(x0j);
}

template <int D>
torch::Tensor UNetPlusPlusImpl<D>::forward(torch::Tensor x) {
  check_input(x, D, "unetpp", in_channels(), size_divisor());
  const int l = active_level();
  return head(l, top_row(x, l).back());
}

template <int D>
std::vector<torch::Tensor> UNetPlusPlusImpl<D>::forward_deep_supervision(torch::Tensor x) {
  const int L = levels();
  check_input(x, D, "unetpp", in_channels(), int64_t{1} << L);
  const auto row = top_row(x, L);
  std::vector<torch::Tensor> out;
  for (int j = L; j >= (options_.deep_supervision() ? 1 : L); --j) out.push_back(head(j, row[j - 1]));
  return out;
}

template <int D>
std::vector<std::string> UNetPlusPlusImpl<D>::tap_names() const {
  const int l = active_level();
  auto names = encoder_.tap_names(l);
  for (int j = 1; j <= l; ++j) {
    for (int i = 0; i + j <= l; ++i) {
      names.push_back("node." + std::to_string(i) + "." + std::to_string(j));
    }
  }
  return names;
}

template <int D>
double UNetPlusPlusImpl<D>::forward_flops(const std::vector<int64_t>& input_shape) const {
  const int l = active_level();
  const auto& f = backbone().features();
  const auto v = level_voxels(input_shape, D, levels(), "unetpp");
  double total = encoder_.flops(v, l);
  for (int j = 1; j <= l; ++j) {
    for (int i = 0; i + j <= l; ++i) {
      total += up_flops(backbone(), f[i + 1], f[i], v[i + 1]);
      total += stage_flops(D, (j + 1) * f[i], f[i], v[i]);
    }
  }
  total += conv_flops(f[0], backbone().num_classes(), 1.0, v[0]);
  return static_cast<double>(input_shape[0]) * total;
}

template class UNetPlusPlusImpl<2>;
template class UNetPlusPlusImpl<3>;

ModelPtr make_unetpp(const UNetPlusPlusOptions& options) {
  validate(options);
  if (options.backbone().dims() == 2) return std::make_shared<UNetPlusPlusImpl<2>>(options);
  return std::make_shared<UNetPlusPlusImpl<3>>(options);
}

}  // namespace unetx::models
