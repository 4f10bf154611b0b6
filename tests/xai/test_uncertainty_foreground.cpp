// foreground_mask: the argmax != 0 rule without argmax, pinned on hand-picked voxels (ties,
// NaN, three classes) and against argmax itself on random probabilities.
#include <gtest/gtest.h>

#include <torch/torch.h>

#include <cmath>
#include <vector>

#include "xai/uncertainty.h"

namespace {

using unetx::xai::foreground_mask;
using unetx::xai::foreground_voxels;

TEST(ForegroundMask, FollowsArgmaxOnTiesNanAndThreeClasses) {
  const float nan = std::nanf("");
  // Classes on dim 0, five voxels: clear background, clear foreground, a tie (argmax picks
  // class 0), NaN in class 1 (argmax picks it), NaN in class 0 (argmax picks class 0).
  const at::Tensor p = torch::tensor({0.7f, 0.2f, 0.4f, 0.1f, nan,      //
                                      0.2f, 0.3f, 0.4f, nan, 0.9f,      //
                                      0.1f, 0.5f, 0.2f, 0.1f, 0.1f})
                           .view({3, 5});
  const at::Tensor m = foreground_mask(p, 0);
  ASSERT_EQ(m.sizes(), (std::vector<int64_t>{1, 5}));
  const std::vector<bool> want = {false, true, false, true, false};
  for (int64_t i = 0; i < 5; ++i) EXPECT_EQ(m[0][i].item<bool>(), want[i]) << i;
  EXPECT_EQ(foreground_voxels(p), 2.0);
}

TEST(ForegroundMask, OneClassIsThresholdAtHalf) {
  const at::Tensor p = torch::tensor({0.49f, 0.5f, 0.51f}).view({1, 1, 3});
  const at::Tensor m = foreground_mask(p, 1);
  EXPECT_FALSE(m[0][0][0].item<bool>());
  EXPECT_TRUE(m[0][0][1].item<bool>());
  EXPECT_TRUE(m[0][0][2].item<bool>());
}

TEST(ForegroundMask, EqualsArgmaxOnBatchedProbabilities) {
  torch::manual_seed(3);
  for (int64_t k : {2, 4}) {
    const at::Tensor p = torch::softmax(torch::randn({3, k, 5, 6, 7}), 1);
    const at::Tensor want = p.argmax(1, /*keepdim=*/true).ne(0);
    EXPECT_TRUE(foreground_mask(p, 1).equal(want)) << k;
  }
}

}  // namespace
