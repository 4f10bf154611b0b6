// The halo split must be the same convolution: values and gradients (input, weight, bias) are
// compared with LibTorch's own convolution evaluated in double precision (a different kernel
// and precision, so an off-by-one halo row or a wrong slab offset shows as an O(1) error).
#include "models/halo_split_conv.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

#include "models/layers.h"

namespace unetx::models {
namespace {

struct SplitCase {
  std::vector<int64_t> input;  // (1, C, spatial...)
  int64_t out_channels, kernel, stride, padding, dilation;
};

class HaloSplit : public ::testing::TestWithParam<SplitCase> {};

TEST_P(HaloSplit, EqualsTheConvolutionAndItsGradients) {
  const SplitCase& c = GetParam();
  torch::manual_seed(3);
  const int64_t dims = static_cast<int64_t>(c.input.size()) - 2;
  std::vector<int64_t> wshape = {c.out_channels, c.input[1]};
  for (int64_t d = 0; d < dims; ++d) wshape.push_back(c.kernel);
  const torch::Tensor x0 = torch::randn(c.input), w0 = torch::randn(wshape) * 0.2;
  const torch::Tensor b0 = torch::randn({c.out_channels});
  const std::vector<int64_t> stride(dims, c.stride), pad(dims, c.padding), dil(dims, c.dilation);

  const torch::Tensor x = x0.clone().requires_grad_(), w = w0.clone().requires_grad_();
  const torch::Tensor b = b0.clone().requires_grad_();
  const auto y = halo_split_convolution(x, w, b, stride, pad, dil, 1);
  ASSERT_TRUE(y.has_value());

  const torch::Tensor xd = x0.to(torch::kDouble).requires_grad_();
  const torch::Tensor wd = w0.to(torch::kDouble).requires_grad_();
  const torch::Tensor bd = b0.to(torch::kDouble).requires_grad_();
  const torch::Tensor ref = torch::convolution(xd, wd, bd, stride, pad, dil, false,
                                               std::vector<int64_t>(dims, 0), 1);
  ASSERT_EQ(y->sizes(), ref.sizes());
  EXPECT_LT((y->to(torch::kDouble) - ref).abs().max().item<double>(), 1e-4);

  const torch::Tensor r = torch::randn(ref.sizes(), torch::kDouble);
  (*y * r.to(torch::kFloat)).sum().backward();
  (ref * r).sum().backward();
  EXPECT_LT((x.grad().to(torch::kDouble) - xd.grad()).abs().max().item<double>(), 1e-3);
  EXPECT_LT((w.grad().to(torch::kDouble) - wd.grad()).abs().max().item<double>(), 1e-3);
  EXPECT_LT((b.grad().to(torch::kDouble) - bd.grad()).abs().max().item<double>(), 1e-3);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, HaloSplit,
    ::testing::Values(SplitCase{{1, 4, 8, 8, 8}, 6, 3, 1, 1, 1},     // U-Net 3^3, same size
                      SplitCase{{1, 3, 10, 7, 9}, 5, 3, 2, 1, 1},    // strided, uneven sizes
                      SplitCase{{1, 2, 12, 6, 6}, 4, 3, 1, 2, 2},    // dilated
                      SplitCase{{1, 2, 9, 6, 5}, 3, 5, 1, 2, 1},     // 5^3 kernel, odd input
                      SplitCase{{1, 2, 8, 8, 8}, 3, 3, 1, 0, 1},     // no padding
                      SplitCase{{1, 8, 16, 20}, 8, 3, 1, 1, 1}));    // 2-D

TEST(HaloSplit, LeavesWhatLibTorchAlreadySendsToOneDnnAlone) {
  const torch::Tensor w = torch::randn({4, 4, 3, 3, 3});
  const std::vector<int64_t> one = {1, 1, 1};
  // batch 2; an input above the size limit (4*96*96 > 20480); one output row; a 1^3 kernel
  EXPECT_FALSE(halo_split_convolution(torch::randn({2, 4, 8, 8, 8}), w, {}, one, one, one, 1));
  EXPECT_FALSE(halo_split_convolution(torch::randn({1, 4, 96, 96, 8}), w, {}, one, one, one, 1));
  EXPECT_FALSE(halo_split_convolution(torch::randn({1, 4, 1, 8, 8}), w, {}, one, one, one, 1));
  const std::vector<int64_t> zero = {0, 0, 0};
  EXPECT_FALSE(halo_split_convolution(torch::randn({1, 4, 8, 8, 8}),
                                      torch::randn({4, 4, 1, 1, 1}), {}, one, zero, one, 1));
}

TEST(HaloSplit, TheLayerKeepsTheConvolutionsParametersAndValues) {
  torch::manual_seed(5);
  Layers<3>::Conv conv(Layers<3>::ConvOptions(2, 3, 3).padding(1));
  std::vector<std::string> names;
  for (const auto& p : conv->named_parameters()) names.push_back(p.key());
  EXPECT_EQ(names, (std::vector<std::string>{"weight", "bias"}));
  const torch::Tensor x = torch::randn({1, 2, 6, 6, 6});
  const torch::Tensor plain = conv->torch::nn::Conv3dImpl::forward(x);
  EXPECT_TRUE(torch::allclose(conv(x), plain, 1e-5, 1e-5));
}

}  // namespace
}  // namespace unetx::models
