#include "models/unet_parts.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "models/attribution_mode.h"
#include "models/flops.h"
#include "models/unet.h"

namespace unetx::models {

namespace nn = torch::nn;

template <int D>
nn::Sequential make_stage(const UNetOptions& o, int64_t in, int64_t out, bool with_dropout) {
  using T = Layers<D>;
  nn::Sequential stage;
  for (int64_t cin : {in, out}) {
    stage->push_back(typename T::Conv(typename T::ConvOptions(cin, out, 3).padding(1)));
    if (o.norm() == "instance") {
      stage->push_back(typename T::InstanceNorm(typename T::InstanceNormOptions(out).affine(true)));
    } else if (o.norm() == "batch") {
      stage->push_back(typename T::BatchNorm(typename T::BatchNormOptions(out)));
    } else if (o.norm() == "group") {
      stage->push_back(nn::GroupNorm(nn::GroupNormOptions(group_count(out), out)));
    }
    // Same as nn::LeakyReLU, plus the backward rules guided backprop / DeepLIFT switch to.
    stage->push_back(AttributionLeakyReLU(o.negative_slope()));
  }
  if (with_dropout && o.dropout() > 0.0) {
    stage->push_back(typename T::Dropout(nn::DropoutOptions(o.dropout())));
  }
  return stage;
}

template <int D>
nn::Sequential make_up(const UNetOptions& o, int64_t in, int64_t out,
                       const std::vector<int64_t>& factors) {
  using T = Layers<D>;
  const std::vector<int64_t> f = factors.empty() ? std::vector<int64_t>(D, 2) : factors;
  if (o.upsample() == "transposed") {
    const torch::ExpandingArray<D> k(f);
    return nn::Sequential(
        typename T::ConvTranspose(typename T::ConvTransposeOptions(in, out, k).stride(k)));
  }
  return nn::Sequential(nn::Upsample(T::upsample(f)), conv1<D>(in, out));
}

template nn::Sequential make_stage<2>(const UNetOptions&, int64_t, int64_t, bool);
template nn::Sequential make_stage<3>(const UNetOptions&, int64_t, int64_t, bool);
template nn::Sequential make_up<2>(const UNetOptions&, int64_t, int64_t,
                                   const std::vector<int64_t>&);
template nn::Sequential make_up<3>(const UNetOptions&, int64_t, int64_t,
                                   const std::vector<int64_t>&);

std::vector<std::vector<int64_t>> level_strides(const UNetOptions& o) {
  if (!o.pool_strides().empty()) return o.pool_strides();
  const size_t levels = o.features().size() - 1;
  return std::vector<std::vector<int64_t>>(levels, std::vector<int64_t>(o.dims(), 2));
}

std::vector<int64_t> axis_divisors(const std::vector<std::vector<int64_t>>& strides, int dims) {
  std::vector<int64_t> divisors(static_cast<size_t>(dims), 1);
  for (const auto& level : strides)
    for (int a = 0; a < dims; ++a) divisors[a] *= level[a];
  return divisors;
}

void require_uniform_pooling(const std::string& model, const UNetOptions& o) {
  for (const auto& level : o.pool_strides())
    for (int64_t f : level)
      if (f != 2)
        throw std::invalid_argument(model + ": pool_strides other than 2 on every axis are "
                                            "taken by the U-Net only");
}

void check_dims(const std::string& model, int options_dims, int dims) {
  if (options_dims != dims) {
    throw std::invalid_argument(model + ": options dims is " + std::to_string(options_dims) +
                                " but the network is " + std::to_string(dims) + "-D");
  }
}

void check_input(const torch::Tensor& x, int dims, const std::string& model, int64_t in_channels,
                 int64_t divisor) {
  check_input(x, dims, model, in_channels,
              std::vector<int64_t>(static_cast<size_t>(dims), divisor));
}

void check_input(const torch::Tensor& x, int dims, const std::string& model, int64_t in_channels,
                 const std::vector<int64_t>& divisors) {
  std::ostringstream s;
  s << x.sizes();
  const std::string shape = s.str();
  if (x.dim() != dims + 2) {
    throw std::invalid_argument(model + ": " + std::to_string(dims) +
                                "-D network expects input (B, C, " + (dims == 3 ? "Z, " : "") +
                                "Y, X), got shape " + shape);
  }
  if (x.size(1) != in_channels) {
    throw std::invalid_argument(model + ": expects " + std::to_string(in_channels) +
                                " input channels, got shape " + shape);
  }
  for (int d = 2; d < dims + 2; ++d) {
    const int64_t divisor = divisors[d - 2];
    if (x.size(d) % divisor != 0 || x.size(d) == 0) {
      throw std::invalid_argument(model + ": spatial size " + std::to_string(x.size(d)) +
                                  " of input " + shape + " is not a positive multiple of " +
                                  std::to_string(divisor) + " (size_divisor); pad or crop it");
    }
  }
}

std::vector<double> level_voxels(const std::vector<int64_t>& input_shape, int dims,
                                 const std::vector<std::vector<int64_t>>& strides,
                                 const std::string& model) {
  if (input_shape.size() != static_cast<size_t>(dims + 2)) {
    throw std::invalid_argument(model + ": forward_flops needs a shape (B, C, spatial...) of rank " +
                                std::to_string(dims + 2));
  }
  double voxels = 1.0;
  for (int d = 2; d < dims + 2; ++d) voxels *= static_cast<double>(input_shape[d]);
  std::vector<double> out{voxels};
  for (const auto& level : strides) {
    for (int64_t f : level) voxels /= static_cast<double>(f);
    out.push_back(voxels);
  }
  return out;
}

std::vector<double> level_voxels(const std::vector<int64_t>& input_shape, int dims, int levels,
                                 const std::string& model) {
  const std::vector<std::vector<int64_t>> halvings(static_cast<size_t>(levels),
                                                   std::vector<int64_t>(dims, 2));
  return level_voxels(input_shape, dims, halvings, model);
}

double stage_flops(int dims, int64_t in, int64_t out, double voxels) {
  const double k3 = std::pow(3.0, dims);
  return conv_flops(in, out, k3, voxels) + conv_flops(out, out, k3, voxels);
}

double up_flops(const UNetOptions& o, int64_t in, int64_t out, double input_voxels) {
  if (o.upsample() == "transposed") {
    return conv_transpose_flops(in, out, std::pow(2.0, o.dims()), input_voxels);
  }
  return conv_flops(in, out, 1.0, input_voxels * std::pow(2.0, o.dims()));
}

template <int D>
void UNetEncoder<D>::build(nn::Module& owner, const UNetOptions& o) {
  in_channels_ = o.in_channels();
  features_ = o.features();
  strides_ = level_strides(o);
  const int L = static_cast<int>(features_.size()) - 1;
  stages_ = owner.register_module("encoder", nn::ModuleList());
  nn::ModuleList se;
  for (int i = 0; i < L; ++i) {
    stages_->push_back(make_stage<D>(o, i == 0 ? in_channels_ : features_[i - 1], features_[i],
                                     false));
    if (auto block = make_recalibration(o.se(), features_[i], D, o.se_reduction())) {
      se->push_back(block);
      se_.push_back(block);
    }
  }
  if (!se_.empty()) owner.register_module("se", se);
  bottleneck_ = owner.register_module("bottleneck", make_stage<D>(o, features_[L - 1],
                                                                  features_[L], true));
}

template <int D>
std::vector<torch::Tensor> UNetEncoder<D>::forward(torch::Tensor x, const TapFn& tap,
                                                   int depth) const {
  const int L = static_cast<int>(features_.size()) - 1;
  const int last = depth < 0 ? L : std::min(depth, L);
  std::vector<torch::Tensor> out;
  for (int i = 0; i < L; ++i) {
    x = stages_->ptr<nn::SequentialImpl>(i)->forward(x);
    if (!se_.empty()) {
      std::vector<Excitation> gates;
      x = se_[i]->forward(x, &gates);
      for (const auto& g : gates) tap("se." + std::to_string(i) + g.suffix, g.gate);
    }
    tap("encoder." + std::to_string(i), x);
    out.push_back(x);
    if (i == last) return out;
    x = Layers<D>::max_pool(x, strides_[i]);
  }
  x = bottleneck_.ptr()->forward(x);
  tap("bottleneck", x);
  out.push_back(x);
  return out;
}

template <int D>
std::vector<std::string> UNetEncoder<D>::tap_names(int depth) const {
  std::vector<std::string> names;
  const int L = static_cast<int>(features_.size()) - 1;
  const int stages = depth < 0 ? L : std::min(depth + 1, L);
  for (int i = 0; i < stages; ++i) names.push_back("encoder." + std::to_string(i));
  for (int i = 0; i < static_cast<int>(se_.size()) && i < stages; ++i) {
    for (const auto& suffix : se_[i]->excitation_suffixes()) {
      names.push_back("se." + std::to_string(i) + suffix);
    }
  }
  if (depth < 0 || depth >= L) names.push_back("bottleneck");
  return names;
}

template <int D>
double UNetEncoder<D>::flops(const std::vector<double>& v, int depth) const {
  const int L = static_cast<int>(features_.size()) - 1;
  const int last = depth < 0 ? L : std::min(depth, L);
  double total = 0.0;
  for (int i = 0; i <= last; ++i) {
    // The bottleneck (i = L) is a stage f(L-1) -> f(L) like every other level.
    total += stage_flops(D, i == 0 ? in_channels_ : features_[i - 1], features_[i], v[i]);
    if (i < L && !se_.empty()) total += se_[i]->flops(v[i]);
  }
  return total;
}

template <int D>
void UNetDecoder<D>::build(nn::Module& owner, const UNetOptions& o) {
  features_ = o.features();
  strides_ = level_strides(o);
  transposed_ = o.upsample() == "transposed";
  const int L = static_cast<int>(features_.size()) - 1;
  up_ = owner.register_module("up", nn::ModuleList());
  decoder_ = owner.register_module("decoder", nn::ModuleList());
  for (int i = 0; i < L; ++i) {
    up_->push_back(make_up<D>(o, features_[i + 1], features_[i], strides_[i]));
    decoder_->push_back(make_stage<D>(o, 2 * features_[i], features_[i], true));
  }
}

template <int D>
torch::Tensor UNetDecoder<D>::forward(const std::vector<torch::Tensor>& features, const TapFn& tap,
                                      const SkipHook& skip_hook,
                                      const OutputHook& output_hook) const {
  const int L = static_cast<int>(features_.size()) - 1;
  torch::Tensor x = features[L];
  for (int i = L - 1; i >= 0; --i) {
    x = up_->ptr<nn::SequentialImpl>(i)->forward(x);
    const torch::Tensor skip = skip_hook ? skip_hook(i, x, features[i]) : features[i];
    x = decoder_->ptr<nn::SequentialImpl>(i)->forward(torch::cat({x, skip}, 1));
    if (output_hook) x = output_hook(i, x);
    tap("decoder." + std::to_string(i), x);
  }
  return x;
}

template <int D>
std::vector<std::string> UNetDecoder<D>::tap_names() const {
  std::vector<std::string> names;
  for (int i = static_cast<int>(features_.size()) - 2; i >= 0; --i) {
    names.push_back("decoder." + std::to_string(i));
  }
  return names;
}

template <int D>
double UNetDecoder<D>::flops(const std::vector<double>& v) const {
  const int L = static_cast<int>(features_.size()) - 1;
  double total = 0.0;
  for (int i = 0; i < L; ++i) {
    double up_kernel = 1.0;  // kernel = stride of the transposed convolution
    for (int64_t f : strides_[i]) up_kernel *= static_cast<double>(f);
    total += transposed_ ? conv_transpose_flops(features_[i + 1], features_[i], up_kernel,
                                                v[i + 1])
                         : conv_flops(features_[i + 1], features_[i], 1.0, v[i]);
    total += stage_flops(D, 2 * features_[i], features_[i], v[i]);
  }
  return total;
}

template class UNetEncoder<2>;
template class UNetEncoder<3>;
template class UNetDecoder<2>;
template class UNetDecoder<3>;

}  // namespace unetx::models
