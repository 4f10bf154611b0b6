// class_argmax against at::argmax itself (the reference it replaces), on values drawn from a
// few levels so ties are common, with NaNs mixed in, and on hand-picked voxels.
#include "pipeline/class_argmax.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <limits>

#include "io/error.h"

namespace unetx::pipeline {
namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();

TEST(ClassArgmax, HandPickedVoxelsIncludingTiesAndNaN) {
  // Classes along dim 0, five voxels: a clear winner, a tie (first wins), a NaN in a later
  // class (it wins), NaN in class 0 (it wins), two NaNs (the first).
  const at::Tensor scores = at::tensor({0.2f, 0.4f, 1.0f, kNaN, 0.1f,  //
                                        0.5f, 0.4f, kNaN, 5.0f, kNaN,  //
                                        0.3f, 0.2f, 2.0f, 9.0f, kNaN})
                                .view({3, 5});
  const at::Tensor winner = class_argmax(scores, 0);
  ASSERT_EQ(winner.sizes(), (at::IntArrayRef{1, 5}));
  EXPECT_EQ(winner.scalar_type(), at::kByte);
  EXPECT_TRUE(winner.equal(at::tensor({1, 0, 1, 0, 1}, at::kByte).view({1, 5})));
}

TEST(ClassArgmax, EqualsArgmaxWithTiesAndNaNOnEitherClassAxis) {
  torch::manual_seed(3);
  for (int64_t k = 1; k <= 5; ++k) {
    // Four levels only: many ties. About 3% NaN.
    at::Tensor scores = at::randint(0, 4, {2, k, 6, 7, 5}).to(at::kFloat) * 0.25f;
    scores.masked_fill_(at::rand(scores.sizes()).lt(0.03), kNaN);
    const at::Tensor batched = scores.argmax(1, /*keepdim=*/true).to(at::kByte);
    EXPECT_TRUE(class_argmax(scores, 1).equal(batched)) << "K = " << k;  // (B, K, ...) logits
    const at::Tensor volume = scores[0];  // (K, Z, Y, X), as predict has it
    EXPECT_TRUE(class_argmax(volume, 0).equal(volume.argmax(0, true).to(at::kByte)))
        << "K = " << k;
  }
}

TEST(ClassArgmax, RefusesMoreClassesThanAByteHolds) {
  EXPECT_THROW(class_argmax(at::zeros({257, 2}), 0), Error);
  EXPECT_EQ(class_argmax(at::zeros({256, 2}), 0).max().item<int>(), 0);  // all tied: class 0
}

}  // namespace
}  // namespace unetx::pipeline
