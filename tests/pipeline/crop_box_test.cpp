// Cropping to the nonzero box and mapping results back onto the full original grid.
#include "pipeline/crop_box.h"

#include <gtest/gtest.h>

#include "pipeline/case_prep.h"

using namespace unetx::pipeline;
using I3 = std::array<int64_t, 3>;

namespace {

// (1, Z=6, Y=8, X=10) zeros with a block of 7s at x 2..6, y 3..5, z 1..4.
unetx::io::Volume block_image() {
  unetx::io::Volume v;
  v.data = at::zeros({1, 6, 8, 10});
  v.data.narrow(1, 1, 4).narrow(2, 3, 3).narrow(3, 2, 5).fill_(7.0);
  v.geometry.spacing = {2, 1, 3};
  v.geometry.origin = {10, 20, 30};
  return v;
}

}  // namespace

TEST(CropBox, NonzeroBoxIsTheBoundingBoxOverChannels) {
  auto x = block_image().data;
  EXPECT_EQ(nonzero_box(x).begin, (I3{2, 3, 1}));
  EXPECT_EQ(nonzero_box(x).size, (I3{5, 3, 4}));
  // A second channel widens the box; an all-zero volume keeps the whole grid.
  auto two = at::cat({x, at::zeros_like(x)}, 0);
  two[1][5][7][9] = -1;
  EXPECT_EQ(nonzero_box(two).begin, (I3{2, 3, 1}));
  EXPECT_EQ(nonzero_box(two).size, (I3{8, 5, 5}));
  EXPECT_TRUE(nonzero_box(at::zeros({1, 2, 2, 2})).whole());
}

TEST(CropBox, CropUncropAndGeometryAgree) {
  const auto v = block_image();
  const CropBox box = nonzero_box(v.data);
  const auto c = crop(v.data, box);
  EXPECT_EQ(c.sizes(), (at::IntArrayRef{1, 4, 3, 5}));
  EXPECT_TRUE(c.eq(7).all().item<bool>());
  // Origin moves to voxel (2, 3, 1): 10 + 2x2, 20 + 3x1, 30 + 1x3.
  EXPECT_EQ(cropped_geometry(v.geometry, box).origin, (std::array<double, 3>{14, 23, 33}));
  EXPECT_TRUE(at::equal(uncrop(c, box, v.size()), v.data));
  const auto filled = uncrop(c, box, v.size(), {-1.0});
  EXPECT_EQ(filled[0][0][0][0].item<float>(), -1.0f);
  EXPECT_EQ(crop_box_from_json(to_json(box)).begin, box.begin);
  EXPECT_EQ(crop_box_from_json(to_json(box)).size, box.size);
}

TEST(CasePrepCrop, PredictionsOnTheCropLandOnTheFullOriginalGrid) {
  const auto v = block_image();
  Plan plan;
  plan.labels = {"background", "block"};
  plan.target_spacing = {2, 1, 3};  // the image's own spacing: no interpolation blur
  plan.crop_to_nonzero = true;
  const PreparedCase pc = prepare_case("blocky", v, nullptr, plan);
  EXPECT_EQ(pc.image.sizes(), (at::IntArrayRef{1, 4, 3, 5}));
  EXPECT_EQ(pc.crop.begin, (I3{2, 3, 1}));
  EXPECT_EQ(pc.geometry.origin, (std::array<double, 3>{14, 23, 33}));
  // Every voxel of the crop predicted as class 1: the restored mask is exactly the block.
  const auto probs = at::stack({at::zeros({4, 3, 5}), at::ones({4, 3, 5})});
  const auto restored = restore_to_original(probs, pc);
  EXPECT_EQ(restored.sizes(), (at::IntArrayRef{2, 6, 8, 10}));
  EXPECT_TRUE(at::allclose(restored.sum(0), at::ones({6, 8, 10})));  // background outside
  const auto mask = labels_volume(restored, pc.original_geometry);
  EXPECT_TRUE(at::equal(mask.data, v.data.ne(0).to(at::kByte)));
  // Maps are 0 outside the crop.
  const auto map = map_to_original(at::ones({1, 4, 3, 5}), pc);
  EXPECT_TRUE(at::equal(map.data, v.data.ne(0).to(at::kFloat)));
  // The preparation record brings back what restoring needs.
  PreparedCase back;
  back.id = "blocky";
  read_preparation_json(preparation_json(pc), back);
  EXPECT_EQ(back.crop.begin, pc.crop.begin);
  EXPECT_EQ(back.original_size, pc.original_size);
  EXPECT_TRUE(back.original_geometry.same_as(v.geometry));
  EXPECT_TRUE(at::equal(restore_to_original(probs, back), restored));
}

TEST(CasePrepCrop, UncroppedCasesStillRestore) {
  // A PreparedCase made without a crop box (a format-1 plan, or built by hand) covers its grid.
  const auto v = block_image();
  Plan plan;
  plan.target_spacing = {2, 1, 3};
  const PreparedCase pc = prepare_case("whole", v, nullptr, plan);
  EXPECT_TRUE(pc.crop.whole());
  EXPECT_EQ(pc.image.sizes(), v.data.sizes());
  const auto restored = restore_to_original(at::ones({2, 6, 8, 10}), pc);
  EXPECT_EQ(restored.sizes(), (at::IntArrayRef{2, 6, 8, 10}));
}
