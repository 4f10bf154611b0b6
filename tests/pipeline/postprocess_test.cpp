// Connected components and label postprocessing on small hand-drawn masks whose components,
// sizes and holes are counted by hand.
#include <gtest/gtest.h>

#include "pipeline/connected_components.h"
#include "pipeline/postprocess.h"

namespace unetx::pipeline {
namespace {

using at::indexing::Slice;

TEST(ConnectedComponents, FaceAndFullConnectivityCountDiagonalNeighboursDifferently) {
  at::Tensor m = at::zeros({4, 5, 5}, at::kBool);
  m.index_put_({0, Slice(0, 2), Slice(0, 2)}, true);  // a 1x2x2 block: 4 voxels
  m.index_put_({1, 2, 2}, true);                       // touches the block at a corner only
  m.index_put_({3, 4, 4}, true);                       // alone
  const Components faces = label_components(m, Connectivity::kFaces);
  ASSERT_EQ(faces.count(), 3);
  EXPECT_EQ(faces.sizes, (std::vector<int64_t>{0, 4, 1, 1}));
  EXPECT_EQ(faces.labels[0][0][0].item<int>(), 1);  // numbered in memory order
  EXPECT_EQ(faces.labels[3][4][4].item<int>(), 3);

  // (0,1,1) and (1,2,2) differ by one step on every axis: corner neighbours.
  const Components full = label_components(m, Connectivity::kFull);
  ASSERT_EQ(full.count(), 2);
  EXPECT_EQ(full.sizes, (std::vector<int64_t>{0, 5, 1}));
}

TEST(Postprocess, LargestComponentPerClassRemovesIslandsOnly) {
  at::Tensor lab = at::zeros({6, 6, 6}, at::kByte);
  lab.index_put_({Slice(0, 2), Slice(0, 2), Slice(0, 2)}, 1);  // class 1, 8 voxels
  lab.index_put_({5, 5, 5}, 1);                                 // class 1 island
  lab.index_put_({4, 0, Slice(0, 3)}, 2);                       // class 2, 3 voxels
  lab.index_put_({0, 5, 5}, 2);                                 // class 2 island
  const at::Tensor out = keep_largest_components(lab, Connectivity::kFaces);
  EXPECT_EQ(out.eq(1).sum().item<int64_t>(), 8);
  EXPECT_EQ(out.eq(2).sum().item<int64_t>(), 3);
  EXPECT_EQ(out[5][5][5].item<int>(), 0);
  EXPECT_EQ(out[0][5][5].item<int>(), 0);
  EXPECT_EQ(out.scalar_type(), at::kByte);
}

TEST(Postprocess, FillsCavitiesEnclosedByOneClassOnly) {
  at::Tensor lab = at::zeros({9, 9, 9}, at::kByte);
  // A hollow 5^3 cube of class 1: the 3^3 = 27 voxels inside are a hole.
  lab.index_put_({Slice(1, 6), Slice(1, 6), Slice(1, 6)}, 1);
  lab.index_put_({Slice(2, 5), Slice(2, 5), Slice(2, 5)}, 0);
  const at::Tensor filled = fill_holes(lab, Connectivity::kFaces);
  EXPECT_EQ(filled.eq(1).sum().item<int64_t>(), 125);

  // The same shell with one wall voxel of class 2: the cavity touches two classes, stays.
  at::Tensor mixed = lab.clone();
  mixed.index_put_({1, 3, 3}, 2);
  EXPECT_EQ(fill_holes(mixed, Connectivity::kFaces).eq(0).sum().item<int64_t>(),
            lab.eq(0).sum().item<int64_t>());

  // Opened to the image border through a tunnel along z: not a hole.
  at::Tensor open = lab.clone();
  open.index_put_({Slice(0, 2), 3, 3}, 0);
  EXPECT_TRUE(at::equal(fill_holes(open, Connectivity::kFaces), open));
}

TEST(Postprocess, LabelsWithChannelAxisKeepTheirShape) {
  at::Tensor lab = at::zeros({1, 3, 3, 3}, at::kByte);
  lab.index_put_({0, 0, 0, 0}, 1);
  lab.index_put_({0, 2, 2, 2}, 1);
  PostprocessOptions o;
  o.largest_component = true;
  const at::Tensor out = postprocess_labels(lab, o);
  EXPECT_EQ(out.sizes(), lab.sizes());
  EXPECT_EQ(out.eq(1).sum().item<int64_t>(), 1);
  EXPECT_TRUE(at::equal(postprocess_labels(lab, {}), lab));
}

}  // namespace
}  // namespace unetx::pipeline
