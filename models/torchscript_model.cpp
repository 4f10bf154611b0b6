#include "models/torchscript_model.h"

#include <algorithm>

#include "io/error.h"

namespace unetx::models {
namespace {

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

void read_int_attribute(const torch::jit::Module& m, const char* name, int64_t& target) {
  if (m.hasattr(name) && m.attr(name).isInt()) target = m.attr(name).toInt();
}

}  // namespace

TorchScriptModelImpl::TorchScriptModelImpl(const std::filesystem::path& path, TorchScriptInfo info,
                                           torch::Device device)
    : path_(path), info_(info) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw Error(path.string(), "no such file");
  try {
    module_ = torch::jit::load(path.string(), device);
  } catch (const c10::Error& e) {
    throw Error(path.string(), "not a TorchScript file (" +
                                   first_line(e.what_without_backtrace()) + ")");
  }
  int64_t dims = info_.spatial_dims;
  read_int_attribute(module_, "spatial_dims", dims);
  info_.spatial_dims = static_cast<int>(dims);
  read_int_attribute(module_, "in_channels", info_.in_channels);
  read_int_attribute(module_, "num_classes", info_.num_classes);
  read_int_attribute(module_, "size_divisor", info_.size_divisor);
  if (info_.spatial_dims != 2 && info_.spatial_dims != 3) {
    throw Error(path.string(), "spatial_dims must be 2 or 3");
  }
  for (const auto& p : module_.named_parameters(/*recurse=*/true)) {
    std::string name = p.name;
    std::replace(name.begin(), name.end(), '.', '_');
    register_parameter(name, p.value, p.value.requires_grad());
  }
  if (info_.num_classes <= 0) {
    torch::NoGradGuard no_grad;
    std::vector<int64_t> shape = {1, info_.in_channels};
    shape.resize(2 + info_.spatial_dims, std::max<int64_t>(16, info_.size_divisor));
    try {
      info_.num_classes =
          forward(torch::zeros(shape, torch::TensorOptions().device(device))).size(1);
    } catch (const Error&) {
      throw;
    } catch (const std::exception& e) {
      throw Error(path.string(),
                  std::string("probe forward pass failed: ") + first_line(e.what()));
    }
  }
}

torch::Tensor TorchScriptModelImpl::forward(torch::Tensor x) {
  torch::Tensor y;
  try {
    y = module_.forward({x}).toTensor();
  } catch (const c10::Error& e) {
    throw Error(path_.string(), "forward failed: " + first_line(e.what_without_backtrace()));
  }
  if (y.dim() != x.dim() || y.size(0) != x.size(0) ||
      !std::equal(y.sizes().begin() + 2, y.sizes().end(), x.sizes().begin() + 2)) {
    throw Error(path_.string(), "the module's output is not (B, K, same spatial size) logits");
  }
  return y;
}

nlohmann::json TorchScriptModelImpl::config() const {
  return {{"name", "torchscript"},           {"path", path_.string()},
          {"spatial_dims", info_.spatial_dims}, {"in_channels", info_.in_channels},
          {"num_classes", info_.num_classes}, {"size_divisor", info_.size_divisor}};
}

void TorchScriptModelImpl::train(bool on) {
  SegmentationModel::train(on);
  module_.train(on);
}

bool looks_like_torchscript(const std::filesystem::path& path) {
  const auto ext = path.extension().string();
  return ext == ".pt" || ext == ".pth" || ext == ".ts";
}

ModelPtr load_torchscript_model(const std::filesystem::path& path, const TorchScriptInfo& info,
                                torch::Device device) {
  return std::make_shared<TorchScriptModelImpl>(path, info, device);
}

}  // namespace unetx::models
