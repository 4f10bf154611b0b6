#include "models/unet.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>
#include <stdexcept>

#include "models/flops.h"

namespace unetx::models {
namespace {

namespace nn = torch::nn;

// The only place where the spatial dimension turns into concrete LibTorch types.
template <int D>
struct Layers;

template <>
struct Layers<2> {
  using Conv = nn::Conv2d;
  using ConvOptions = nn::Conv2dOptions;
  using ConvTranspose = nn::ConvTranspose2d;
  using ConvTransposeOptions = nn::ConvTranspose2dOptions;
  using InstanceNorm = nn::InstanceNorm2d;
  using InstanceNormOptions = nn::InstanceNorm2dOptions;
  using BatchNorm = nn::BatchNorm2d;
  using BatchNormOptions = nn::BatchNorm2dOptions;
  using Dropout = nn::Dropout2d;
  static nn::UpsampleOptions upsample_x2() {
    return nn::UpsampleOptions().scale_factor(std::vector<double>(2, 2.0)).mode(torch::kBilinear);
  }
  static torch::Tensor max_pool(const torch::Tensor& x) { return torch::max_pool2d(x, 2); }
};

template <>
struct Layers<3> {
  using Conv = nn::Conv3d;
  using ConvOptions = nn::Conv3dOptions;
  using ConvTranspose = nn::ConvTranspose3d;
  using ConvTransposeOptions = nn::ConvTranspose3dOptions;
  using InstanceNorm = nn::InstanceNorm3d;
  using InstanceNormOptions = nn::InstanceNorm3dOptions;
  using BatchNorm = nn::BatchNorm3d;
  using BatchNormOptions = nn::BatchNorm3dOptions;
  using Dropout = nn::Dropout3d;
  static nn::UpsampleOptions upsample_x2() {
    return nn::UpsampleOptions().scale_factor(std::vector<double>(3, 2.0)).mode(torch::kTrilinear);
  }
  static torch::Tensor max_pool(const torch::Tensor& x) { return torch::max_pool3d(x, 2); }
};

const std::set<std::string> kNorms = {"instance", "batch", "group", "none"};
const std::set<std::string> kUpsamples = {"transposed", "interpolate"};

std::string join(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

int64_t group_count(int64_t channels) {
  int64_t g = std::min<int64_t>(8, channels);
  while (channels % g != 0) --g;
  return g;
}

std::string shape_string(torch::IntArrayRef sizes) {
  std::ostringstream s;
  s << sizes;
  return s.str();
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
}

nlohmann::json to_json(const UNetOptions& o) {
  return {{"name", "unet"},
          {"in_channels", o.in_channels()},
          {"num_classes", o.num_classes()},
          {"dims", o.dims()},
          {"features", o.features()},
          {"norm", o.norm()},
          {"dropout", o.dropout()},
          {"upsample", o.upsample()},
          {"negative_slope", o.negative_slope()}};
}

UNetOptions unet_options_from_json(const nlohmann::json& c) {
  static const std::set<std::string> known = {"name",    "in_channels", "num_classes",
                                              "dims",    "features",    "norm",
                                              "dropout", "upsample",    "negative_slope"};
  if (!c.is_object()) throw std::invalid_argument("unet: config must be a JSON object");
  for (const auto& item : c.items()) {
    if (!known.count(item.key())) {
      throw std::invalid_argument("unet: unknown config key '" + item.key() +
                                  "' (known: " + join(known) + ")");
    }
  }
  if (c.contains("name") && c.at("name") != "unet") {
    throw std::invalid_argument("unet: config name is " + c.at("name").dump() + ", not \"unet\"");
  }
  for (const char* required : {"in_channels", "num_classes"}) {
    if (!c.contains(required)) {
      throw std::invalid_argument(std::string("unet: config lacks required key '") + required +
                                  "'");
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
    return o;
  } catch (const nlohmann::json::exception& e) {
    throw std::invalid_argument(std::string("unet: bad config value: ") + e.what());
  }
}

template <int D>
UNetImpl<D>::UNetImpl(UNetOptions options) : options_(std::move(options)) {
  validate(options_);
  if (options_.dims() != D) {
    throw std::invalid_argument("unet: options.dims() is " + std::to_string(options_.dims()) +
                                " but the network is " + std::to_string(D) + "-D");
  }
  const auto& f = options_.features();
  const int L = levels();
  encoder_ = register_module("encoder", nn::ModuleList());
  for (int i = 0; i < L; ++i) {
    encoder_->push_back(make_stage(i == 0 ? options_.in_channels() : f[i - 1], f[i], false));
  }
  bottleneck_ = register_module("bottleneck", make_stage(f[L - 1], f[L], true));
  up_ = register_module("up", nn::ModuleList());
  decoder_ = register_module("decoder", nn::ModuleList());
  for (int i = 0; i < L; ++i) {
    up_->push_back(make_up(f[i + 1], f[i]));
    decoder_->push_back(make_stage(2 * f[i], f[i], true));
  }
  head_ = register_module("head",
                          nn::Sequential(typename Layers<D>::Conv(
                              typename Layers<D>::ConvOptions(f[0], options_.num_classes(), 1))));
}

template <int D>
nn::Sequential UNetImpl<D>::make_stage(int64_t in, int64_t out, bool with_dropout) const {
  using T = Layers<D>;
  nn::Sequential stage;
  for (int64_t cin : {in, out}) {
    stage->push_back(typename T::Conv(typename T::ConvOptions(cin, out, 3).padding(1)));
    const std::string& norm = options_.norm();
    if (norm == "instance") {
      stage->push_back(typename T::InstanceNorm(typename T::InstanceNormOptions(out).affine(true)));
    } else if (norm == "batch") {
      stage->push_back(typename T::BatchNorm(typename T::BatchNormOptions(out)));
    } else if (norm == "group") {
      stage->push_back(nn::GroupNorm(nn::GroupNormOptions(group_count(out), out)));
    }
    stage->push_back(
        nn::LeakyReLU(nn::LeakyReLUOptions().negative_slope(options_.negative_slope())));
  }
  if (with_dropout && options_.dropout() > 0.0) {
    stage->push_back(typename T::Dropout(nn::DropoutOptions(options_.dropout())));
  }
  return stage;
}

template <int D>
nn::Sequential UNetImpl<D>::make_up(int64_t in, int64_t out) const {
  using T = Layers<D>;
  if (options_.upsample() == "transposed") {
    return nn::Sequential(
        typename T::ConvTranspose(typename T::ConvTransposeOptions(in, out, 2).stride(2)));
  }
  return nn::Sequential(nn::Upsample(T::upsample_x2().align_corners(false)),
                        typename T::Conv(typename T::ConvOptions(in, out, 1)));
}

template <int D>
void UNetImpl<D>::check_input(const torch::Tensor& x) const {
  const std::string shape = shape_string(x.sizes());
  if (x.dim() != D + 2) {
    throw std::invalid_argument("unet: " + std::to_string(D) + "-D network expects input (B, C, " +
                                (D == 3 ? "Z, " : "") + "Y, X), got shape " + shape);
  }
  if (x.size(1) != options_.in_channels()) {
    throw std::invalid_argument("unet: expects " + std::to_string(options_.in_channels()) +
                                " input channels, got shape " + shape);
  }
  const int64_t div = size_divisor();
  for (int d = 2; d < D + 2; ++d) {
    if (x.size(d) % div != 0 || x.size(d) == 0) {
      throw std::invalid_argument("unet: spatial size " + std::to_string(x.size(d)) + " of input " +
                                  shape + " is not a positive multiple of " + std::to_string(div) +
                                  " (size_divisor = 2^" + std::to_string(levels()) +
                                  " downsamplings); pad or crop it");
    }
  }
}

template <int D>
torch::Tensor UNetImpl<D>::forward(torch::Tensor x) {
  check_input(x);
  const int L = levels();
  std::vector<torch::Tensor> skips;
  skips.reserve(L);
  for (int i = 0; i < L; ++i) {
    x = encoder_[i]->as<nn::SequentialImpl>()->forward(x);
    tap("encoder." + std::to_string(i), x);
    skips.push_back(x);
    x = Layers<D>::max_pool(x);
  }
  x = bottleneck_->forward(x);
  tap("bottleneck", x);
  for (int i = L - 1; i >= 0; --i) {
    x = up_[i]->as<nn::SequentialImpl>()->forward(x);
    x = torch::cat({x, skips[i]}, 1);
    x = decoder_[i]->as<nn::SequentialImpl>()->forward(x);
    tap("decoder." + std::to_string(i), x);
  }
  return head_->forward(x);
}

template <int D>
std::vector<std::string> UNetImpl<D>::tap_names() const {
  std::vector<std::string> names;
  for (int i = 0; i < levels(); ++i) names.push_back("encoder." + std::to_string(i));
  names.push_back("bottleneck");
  for (int i = levels() - 1; i >= 0; --i) names.push_back("decoder." + std::to_string(i));
  return names;
}

template <int D>
double UNetImpl<D>::forward_flops(const std::vector<int64_t>& input_shape) const {
  if (input_shape.size() != static_cast<size_t>(D + 2)) {
    throw std::invalid_argument("unet: forward_flops needs a shape (B, C, spatial...) of rank " +
                                std::to_string(D + 2));
  }
  const auto& f = options_.features();
  const int L = levels();
  const double batch = static_cast<double>(input_shape[0]);
  const double k3 = std::pow(3.0, D);
  double voxels = 1.0;  // at the current level
  for (int d = 2; d < D + 2; ++d) voxels *= static_cast<double>(input_shape[d]);
  std::vector<double> level_voxels;
  for (int i = 0; i <= L; ++i) {
    level_voxels.push_back(voxels);
    voxels /= std::pow(2.0, D);
  }
  double total = 0.0;
  auto stage = [&](int64_t in, int64_t out, double vox) {
    return conv_flops(in, out, k3, vox) + conv_flops(out, out, k3, vox);
  };
  for (int i = 0; i < L; ++i) {
    total += stage(i == 0 ? options_.in_channels() : f[i - 1], f[i], level_voxels[i]);
  }
  total += stage(f[L - 1], f[L], level_voxels[L]);
  for (int i = 0; i < L; ++i) {
    if (options_.upsample() == "transposed") {
      total += conv_transpose_flops(f[i + 1], f[i], std::pow(2.0, D), level_voxels[i + 1]);
    } else {
      total += conv_flops(f[i + 1], f[i], 1.0, level_voxels[i]);
    }
    total += stage(2 * f[i], f[i], level_voxels[i]);
  }
  total += conv_flops(f[0], options_.num_classes(), 1.0, level_voxels[0]);
  return batch * total;
}

template class UNetImpl<2>;
template class UNetImpl<3>;

ModelPtr make_unet(const UNetOptions& options) {
  validate(options);
  if (options.dims() == 2) return std::make_shared<UNetImpl<2>>(options);
  return std::make_shared<UNetImpl<3>>(options);
}

}  // namespace unetx::models
