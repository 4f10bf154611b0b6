// Canonical orientation: the axis map of every signed permutation, voxels keeping their values
// and physical positions, the exact inverse, and a prepared case restored onto a grid stored
// right-to-left (as most NIfTI converters store heads).
#include "pipeline/orientation.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "io/error.h"
#include "pipeline/case_prep.h"

namespace unetx::pipeline {
namespace {

// Direction whose column c is sign[c] * e_{axis[c]} (voxel axis c along physical axis axis[c]).
io::Mat3 signed_permutation(const std::array<int, 3>& axis, const std::array<int, 3>& sign) {
  io::Mat3 d{};
  for (int c = 0; c < 3; ++c) d[3 * axis[c] + c] = sign[c];
  return d;
}

io::Mat3 identity() { return {1, 0, 0, 0, 1, 0, 0, 0, 1}; }

void expect_near(const io::Vec3& a, const io::Vec3& b, double tol = 1e-9) {
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(a[i], b[i], tol) << "component " << i;
}

// Voxel values 0, 1, 2, ... in memory order: a value names its source index.
io::Volume numbered(const io::Size3& size, const io::Geometry& g) {
  io::Volume v;
  v.data = at::arange(size[0] * size[1] * size[2], at::kFloat).view({1, size[2], size[1], size[0]});
  v.geometry = g;
  return v;
}

TEST(Orientation, EverySignedPermutationBecomesTheIdentityDirection) {
  std::array<int, 3> axis{0, 1, 2};
  int cases = 0;
  do {
    for (int signs = 0; signs < 8; ++signs) {
      const std::array<int, 3> sign{signs & 1 ? -1 : 1, signs & 2 ? -1 : 1, signs & 4 ? -1 : 1};
      io::Geometry g;
      g.direction = signed_permutation(axis, sign);
      g.spacing = {0.5, 1.5, 3.0};
      const AxisMap m = canonical_axes(g);
      const io::Geometry c = reoriented_geometry(g, {4, 5, 6}, m);
      for (int i = 0; i < 9; ++i) EXPECT_DOUBLE_EQ(c.direction[i], identity()[i]);
      // Physical axis a took voxel axis axis^-1(a), with its spacing.
      for (int a = 0; a < 3; ++a) {
        EXPECT_EQ(axis[m.from[a]], a);
        EXPECT_EQ(m.flip[a], sign[m.from[a]] < 0);
        EXPECT_DOUBLE_EQ(c.spacing[a], g.spacing[m.from[a]]);
      }
      ++cases;
    }
  } while (std::next_permutation(axis.begin(), axis.end()));
  EXPECT_EQ(cases, 48);
}

TEST(Orientation, EveryVoxelKeepsItsValueAndItsPhysicalPosition) {
  // Voxel x runs to the patient's right, y inferior, z anterior (a sagittal-ish storage).
  io::Geometry g;
  g.direction = signed_permutation({0, 2, 1}, {-1, -1, -1});
  g.spacing = {0.8, 1.2, 2.5};
  g.origin = {10.0, -20.0, 30.0};
  const io::Size3 size{5, 4, 3};
  const io::Volume stored = numbered(size, g);
  const AxisMap m = canonical_axes(g);
  const io::Volume canon = reorient(stored, m);
  EXPECT_EQ(canon.size(), (io::Size3{5, 3, 4}));  // (x, y, z) = stored (x, z, y)
  EXPECT_EQ(canon.size(), reoriented_size(size, m));
  const auto values = canon.data.contiguous();
  for (int64_t z = 0; z < canon.size()[2]; ++z)
    for (int64_t y = 0; y < canon.size()[1]; ++y)
      for (int64_t x = 0; x < canon.size()[0]; ++x) {
        const auto value = static_cast<int64_t>(values[0][z][y][x].item<float>());
        const io::Vec3 source{double(value % size[0]), double(value / size[0] % size[1]),
                              double(value / (size[0] * size[1]))};
        expect_near(canon.geometry.index_to_physical({double(x), double(y), double(z)}),
                    g.index_to_physical(source));
      }
  EXPECT_TRUE(undo_reorientation(canon.data, m).equal(stored.data));
}

// Numbered voxels written canonical block by uneven block land where undo_reorientation puts
// them, for all 48 signed permutations (each voxel names its source index, so a misplaced block
// changes the result).
TEST(Orientation, CanonicalBlocksCopiedToTheStoredLayoutEqualTheWholeInverse) {
  const io::Size3 size{5, 4, 3};
  std::array<int, 3> axis{0, 1, 2};
  int cases = 0;
  do {
    for (int flips = 0; flips < 8; ++flips) {
      AxisMap m;
      m.from = axis;
      m.flip = {(flips & 1) != 0, (flips & 2) != 0, (flips & 4) != 0};
      const at::Tensor stored = numbered(size, io::Geometry{}).data;
      const at::Tensor canon = reorient_data(stored, m);
      at::Tensor rebuilt = at::full_like(stored, -1);
      // Canonical cut points 0 | 1 | end along x and y, 0 | 2 | end along z.
      const std::array<int64_t, 3> cut{1, 1, 2};
      for (int part = 0; part < 8; ++part) {
        std::array<int64_t, 3> begin{};
        at::Tensor block = canon;
        for (int a = 0; a < 3; ++a) {
          const int64_t dim = 3 - a, extent = canon.size(dim);
          const bool upper = (part >> a) & 1;
          begin[a] = upper ? cut[a] : 0;
          block = block.narrow(dim, begin[a], upper ? extent - cut[a] : cut[a]);
        }
        copy_to_original(block, begin, m, rebuilt);
      }
      EXPECT_TRUE(rebuilt.equal(stored)) << "permutation " << cases;
      ++cases;
    }
  } while (std::next_permutation(axis.begin(), axis.end()));
  EXPECT_EQ(cases, 48);
}

TEST(Orientation, ObliqueAxesGoToTheNearestPatientAxis) {
  // Voxel axes: x along +P rotated 20 degrees towards L, y along -L likewise, z along +S.
  const double c = std::cos(20.0 * M_PI / 180.0), s = std::sin(20.0 * M_PI / 180.0);
  io::Geometry g;
  g.direction = {s, -c, 0, c, s, 0, 0, 0, 1};  // columns: (s, c, 0), (-c, s, 0), (0, 0, 1)
  const AxisMap m = canonical_axes(g);
  EXPECT_EQ(m.from, (std::array<int, 3>{1, 0, 2}));
  EXPECT_EQ(m.flip, (std::array<bool, 3>{true, false, false}));
  const io::Geometry r = reoriented_geometry(g, {8, 8, 8}, m);
  for (int a = 0; a < 3; ++a) EXPECT_GT(r.direction[4 * a], 0.9);  // diagonal ~ cos 20
  EXPECT_NEAR(r.direction[0], c, 1e-12);
}

TEST(Orientation, NativeAndSingleSliceImagesKeepTheirAxes) {
  io::Geometry g;
  g.direction = signed_permutation({2, 1, 0}, {1, 1, 1});
  EXPECT_TRUE(axes_for("native", g, {4, 4, 4}).identity());
  EXPECT_FALSE(axes_for("LPS", g, {4, 4, 4}).identity());
  // A 2-D image would lose its slicing axis: it stays as stored.
  EXPECT_TRUE(axes_for("LPS", g, {4, 4, 1}).identity());
  EXPECT_THROW(axes_for("RAS", g, {4, 4, 4}), Error);
  AxisMap bad;
  bad.from = {0, 0, 2};
  EXPECT_THROW(reorient_data(at::zeros({1, 2, 2, 2}), bad), Error);
  EXPECT_THROW(axis_map_from_json(to_json(bad)), Error);
}

TEST(Orientation, PreparedCaseOfARightToLeftHeadRestoresExactly) {
  // Stored as most converters write heads: x towards the right, y anterior (LPS diag(-1, -1, 1)).
  io::Geometry g;
  g.direction = {-1, 0, 0, 0, -1, 0, 0, 0, 1};
  g.origin = {90, 125, -71};
  io::Volume image = numbered({6, 5, 4}, g);
  io::Volume label;
  label.geometry = g;
  label.data = at::zeros({1, 4, 5, 6}, at::kByte);
  label.data[0][1][0][0] = 1;  // x = 0, y = 0: the patient's right-anterior corner of slice 1
  Plan plan;
  plan.orientation = "LPS";
  plan.target_spacing = {1, 1, 1};
  const PreparedCase pc = prepare_case("head", image, &label, plan);
  for (int i = 0; i < 9; ++i) EXPECT_DOUBLE_EQ(pc.geometry.direction[i], identity()[i]);
  // In LPS order that corner is the last x and last y of the canonical grid.
  EXPECT_EQ(pc.label[0][1][4][5].item<int>(), 1);
  EXPECT_EQ(pc.label.sum().item<int>(), 1);
  expect_near(pc.geometry.index_to_physical({5, 4, 1}), g.index_to_physical({0, 0, 1}));
  // One-hot of the prepared label restores to the stored label, voxel for voxel.
  const auto probs =
      at::one_hot(pc.label[0].to(at::kLong), 2).permute({3, 0, 1, 2}).to(at::kFloat);
  const io::Volume back = labels_volume(restore_to_original(probs, pc), pc.original_geometry);
  EXPECT_TRUE(back.data.equal(label.data));
  EXPECT_TRUE(map_to_original(pc.image, pc).data.sizes() == image.data.sizes());
  // The record next to a preprocessed case keeps the axis map; older records mean "as stored".
  PreparedCase read;
  read_preparation_json(preparation_json(pc), read);
  EXPECT_EQ(read.axes, pc.axes);
  auto old = preparation_json(pc);
  old.erase("axes");
  read_preparation_json(old, read);
  EXPECT_TRUE(read.axes.identity());
}

}  // namespace
}  // namespace unetx::pipeline
