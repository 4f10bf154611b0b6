#include "models/dual_attention.h"

#include <cmath>
#include <numeric>
#include <stdexcept>

namespace unetx::models {
namespace {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

// (B, N, C) -> (B, h, N, C / h)
torch::Tensor split_heads(const torch::Tensor& x, int64_t heads) {
  return x.view({x.size(0), x.size(1), heads, x.size(2) / heads}).transpose(1, 2);
}

// (B, h, N, d) -> (B, N, h d)
torch::Tensor merge_heads(const torch::Tensor& x) {
  return x.transpose(1, 2).flatten(2);
}

nn::Linear linear(int64_t in, int64_t out, bool bias = true) {
  return nn::Linear(nn::LinearOptions(in, out).bias(bias));
}

nn::LayerNorm layer_norm(int64_t c) { return nn::LayerNorm(nn::LayerNormOptions({c})); }

class ChannelFusionAttentionImpl : public nn::Module {
 public:
  ChannelFusionAttentionImpl(const std::vector<int64_t>& channels, int64_t heads) : heads_(heads) {
    const int64_t total = std::accumulate(channels.begin(), channels.end(), int64_t{0});
    norm_ = register_module("norm", nn::ModuleList());
    query_ = register_module("query", nn::ModuleList());
    proj_ = register_module("proj", nn::ModuleList());
    for (int64_t c : channels) {
      norm_->push_back(layer_norm(c));
      query_->push_back(linear(c, c, false));
      proj_->push_back(linear(c, c));
    }
    norm_all_ = register_module("norm_all", layer_norm(total));
    key_ = register_module("key", linear(total, total, false));
    value_ = register_module("value", linear(total, total, false));
  }

  std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& tokens) {
    const auto all = norm_all_->forward(torch::cat(tokens, 2));
    const auto k = split_heads(key_->forward(all), heads_);    // (B, h, N, Cs/h)
    const auto v = split_heads(value_->forward(all), heads_);  // (B, h, N, Cs/h)
    std::vector<torch::Tensor> out;
    for (size_t i = 0; i < tokens.size(); ++i) {
      const auto normed = norm_->ptr<nn::LayerNormImpl>(i)->forward(tokens[i]);
      const auto q = split_heads(query_->ptr<nn::LinearImpl>(i)->forward(normed), heads_);
      auto scores = torch::matmul(q.transpose(-1, -2), k);  // (B, h, Ci/h, Cs/h)
      const auto mean = scores.mean({-2, -1}, true);
      const auto std = scores.var({-2, -1}, /*unbiased=*/false, true).add(1e-5).sqrt();
      const auto attention = torch::softmax((scores - mean) / std, -1);
      const auto mixed = torch::matmul(attention, v.transpose(-1, -2));  // (B, h, Ci/h, N)
      const auto merged = merge_heads(mixed.transpose(-1, -2));          // (B, N, Ci)
      out.push_back(tokens[i] + proj_->ptr<nn::LinearImpl>(i)->forward(merged));
    }
    return out;
  }

 private:
  int64_t heads_;
  nn::ModuleList norm_{nullptr}, query_{nullptr}, proj_{nullptr};
  nn::LayerNorm norm_all_{nullptr};
  nn::Linear key_{nullptr}, value_{nullptr};
};
TORCH_MODULE(ChannelFusionAttention);

class SpatialSelectionAttentionImpl : public nn::Module {
 public:
  SpatialSelectionAttentionImpl(int64_t channels, int64_t heads) : heads_(heads) {
    norm_ = register_module("norm", layer_norm(channels));
    qkv_ = register_module("qkv", linear(channels, 3 * channels, false));
    proj_ = register_module("proj", linear(channels, channels));
  }
  torch::Tensor forward(const torch::Tensor& t) {
    const auto qkv = qkv_->forward(norm_->forward(t)).chunk(3, 2);
    const auto q = split_heads(qkv[0], heads_), k = split_heads(qkv[1], heads_),
               v = split_heads(qkv[2], heads_);
    const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
    const auto attention = torch::softmax(torch::matmul(q, k.transpose(-1, -2)) * scale, -1);
    return t + proj_->forward(merge_heads(torch::matmul(attention, v)));
  }

 private:
  int64_t heads_;
  nn::LayerNorm norm_{nullptr};
  nn::Linear qkv_{nullptr}, proj_{nullptr};
};
TORCH_MODULE(SpatialSelectionAttention);

class MlpImpl : public nn::Module {
 public:
  explicit MlpImpl(int64_t channels) {
    norm_ = register_module("norm", layer_norm(channels));
    fc1_ = register_module("fc1", linear(channels, 4 * channels));
    fc2_ = register_module("fc2", linear(4 * channels, channels));
  }
  torch::Tensor forward(const torch::Tensor& t) {
    return t + fc2_->forward(F::gelu(fc1_->forward(norm_->forward(t))));
  }

 private:
  nn::LayerNorm norm_{nullptr};
  nn::Linear fc1_{nullptr}, fc2_{nullptr};
};
TORCH_MODULE(Mlp);

class DatLayerImpl : public nn::Module {
 public:
  DatLayerImpl(const std::vector<int64_t>& channels, int64_t heads) {
    cfa_ = register_module("cfa", ChannelFusionAttention(channels, heads));
    ssa_ = register_module("ssa", nn::ModuleList());
    mlp_ = register_module("mlp", nn::ModuleList());
    for (int64_t c : channels) {
      ssa_->push_back(SpatialSelectionAttention(c, heads));
      mlp_->push_back(Mlp(c));
    }
  }
  std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& tokens) {
    auto t = cfa_->forward(tokens);
    for (size_t i = 0; i < t.size(); ++i) {
      t[i] = ssa_->ptr<SpatialSelectionAttentionImpl>(i)->forward(t[i]);
      t[i] = mlp_->ptr<MlpImpl>(i)->forward(t[i]);
    }
    return t;
  }

 private:
  ChannelFusionAttention cfa_{nullptr};
  nn::ModuleList ssa_{nullptr}, mlp_{nullptr};
};
TORCH_MODULE(DatLayer);

torch::Tensor average_pool(const torch::Tensor& x, int64_t k) {
  if (k == 1) return x;
  return x.dim() == 4 ? torch::avg_pool2d(x, k) : torch::avg_pool3d(x, k);
}

}  // namespace

DualAttentionTransformerImpl::DualAttentionTransformerImpl(std::vector<int64_t> channels,
                                                           int64_t heads, int64_t layers,
                                                           int64_t patch, int dims)
    : channels_(std::move(channels)), heads_(heads), layers_(layers), patch_(patch), dims_(dims) {
  if (heads_ < 1 || layers_ < 1 || patch_ < 1 || (patch_ & (patch_ - 1)) != 0) {
    throw std::invalid_argument("udtransnet: heads and layers must be >= 1, patch a power of 2");
  }
  for (int64_t c : channels_) {
    if (c % heads_ != 0) {
      throw std::invalid_argument("udtransnet: every skip width must be divisible by heads (" +
                                  std::to_string(heads_) + "), got " + std::to_string(c));
    }
  }
  embed_ = register_module("embed", nn::ModuleList());
  final_norm_ = register_module("final_norm", nn::ModuleList());
  reconstruct_ = register_module("reconstruct", nn::ModuleList());
  for (int64_t c : channels_) {
    embed_->push_back(linear(c, c));
    final_norm_->push_back(layer_norm(c));
    reconstruct_->push_back(linear(c, c));
  }
  blocks_ = register_module("layers", nn::ModuleList());
  for (int64_t l = 0; l < layers_; ++l) blocks_->push_back(DatLayer(channels_, heads_));
}

std::vector<torch::Tensor> DualAttentionTransformerImpl::forward(
    const std::vector<torch::Tensor>& skips) {
  const int64_t S = static_cast<int64_t>(channels_.size());
  if (static_cast<int64_t>(skips.size()) != S) {
    throw std::invalid_argument("udtransnet: DAT expects " + std::to_string(S) + " skips");
  }
  std::vector<torch::Tensor> tokens;
  std::vector<int64_t> grid;
  for (int64_t i = 0; i < S; ++i) {
    const auto pooled = average_pool(skips[i], patch_ << (S - 1 - i));
    grid = pooled.sizes().slice(2).vec();
    tokens.push_back(embed_->ptr<nn::LinearImpl>(i)->forward(pooled.flatten(2).transpose(1, 2)));
  }
  for (const auto& block : *blocks_) tokens = block->as<DatLayerImpl>()->forward(tokens);
  std::vector<torch::Tensor> out;
  for (int64_t i = 0; i < S; ++i) {
    auto t = reconstruct_->ptr<nn::LinearImpl>(i)->forward(
        final_norm_->ptr<nn::LayerNormImpl>(i)->forward(tokens[i]));
    std::vector<int64_t> shape = {t.size(0), channels_[i]};
    shape.insert(shape.end(), grid.begin(), grid.end());
    auto map = t.transpose(1, 2).reshape(shape);
    const auto size = skips[i].sizes().slice(2).vec();
    map = F::interpolate(map, F::InterpolateFuncOptions().size(size).mode(
                                  dims_ == 2 ? F::InterpolateFuncOptions::mode_t(torch::kBilinear)
                                             : F::InterpolateFuncOptions::mode_t(torch::kTrilinear))
                                  .align_corners(false));
    out.push_back(skips[i] + map);
  }
  return out;
}

double DualAttentionTransformerImpl::flops(double voxels0) const {
  const int64_t S = static_cast<int64_t>(channels_.size());
  const double n = voxels0 / std::pow(static_cast<double>(patch_ << (S - 1)), dims_);
  const double total = std::accumulate(channels_.begin(), channels_.end(), 0.0);
  double per_layer = 2.0 * 2.0 * total * total * n;  // keys and values
  double outside = 0.0;
  for (int64_t i = 0; i < S; ++i) {
    const double c = static_cast<double>(channels_[i]);
    per_layer += 2.0 * 2.0 * c * c * n;                   // CFA query + projection
    per_layer += 2.0 * 2.0 * c * total * n / heads_;      // CFA scores + mixing
    per_layer += 2.0 * 4.0 * c * c * n;                   // SSA qkv + projection
    per_layer += 2.0 * 2.0 * n * n * c;                   // SSA scores + mixing
    per_layer += 2.0 * 8.0 * c * c * n;                   // MLP
    outside += 2.0 * 2.0 * c * c * n;                     // embedding + reconstruction
  }
  return outside + static_cast<double>(layers_) * per_layer;
}

}  // namespace unetx::models
