// Geometry maths: index <-> physical mapping and grid comparison.
#include <gtest/gtest.h>

#include <cmath>

#include "geometry_fixture.h"
#include "io/error.h"
#include "io/volume.h"

namespace unetx::io {
namespace {

using test::rotated_geometry;

TEST(Geometry, IndexToPhysicalMatchesHandComputedPoint) {
  const Geometry g = rotated_geometry();
  const double c = std::cos(M_PI / 6), s = std::sin(M_PI / 6);
  const Vec3 p = g.index_to_physical({2, 3, 4});
  // origin + D * diag(spacing) * (2, 3, 4)
  EXPECT_NEAR(p[0], -12.5 + c * 0.7 * 2 - s * 1.3 * 3, 1e-12);
  EXPECT_NEAR(p[1], 30.25 + s * 0.7 * 2 + c * 1.3 * 3, 1e-12);
  EXPECT_NEAR(p[2], 7.0 - 2.5 * 4, 1e-12);
  EXPECT_NEAR(p[0], -13.2375644, 1e-6);
  EXPECT_NEAR(p[1], 34.3274991, 1e-6);
}

TEST(Geometry, PhysicalToIndexInvertsIndexToPhysical) {
  Geometry g = rotated_geometry();
  for (const Vec3& idx : {Vec3{0, 0, 0}, Vec3{2, 3, 4}, Vec3{-1.5, 10.25, 0.5}}) {
    const Vec3 back = g.physical_to_index(g.index_to_physical(idx));
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(back[i], idx[i], 1e-9);
  }
  // Non-orthonormal (sheared) direction: the inverse must be a true inverse, not a transpose.
  g.direction = {1, 0.3, 0, 0, 1, 0.2, 0.1, 0, 1};
  const Vec3 idx{4, -2, 7};
  const Vec3 back = g.physical_to_index(g.index_to_physical(idx));
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(back[i], idx[i], 1e-9);
}

TEST(Geometry, SingularDirectionThrows) {
  Geometry g;
  g.direction = {1, 0, 0, 1, 0, 0, 0, 0, 1};
  EXPECT_THROW(g.physical_to_index({1, 2, 3}), Error);
}

TEST(Geometry, SameAsAndSameGridDetectChanges) {
  Volume a;
  a.data = at::zeros({1, 3, 4, 5});
  a.geometry = rotated_geometry();
  Volume b = a;
  EXPECT_TRUE(same_grid(a, b));
  b.geometry.origin[1] += 0.01;
  EXPECT_FALSE(same_grid(a, b));
  EXPECT_FALSE(a.geometry.same_as(b.geometry));
  b.geometry = a.geometry;
  b.geometry.direction[0] += 1e-3;
  EXPECT_FALSE(same_grid(a, b));
  b.geometry = a.geometry;
  b.geometry.origin[0] += 1e-6;  // far below tolerance
  EXPECT_TRUE(same_grid(a, b));
  b.data = at::zeros({1, 3, 4, 6});
  EXPECT_FALSE(same_grid(a, b));
  b.data = at::zeros({2, 3, 4, 5});  // channel count is not part of the grid
  EXPECT_TRUE(same_grid(a, b));
}

TEST(Geometry, ToStringShowsValues) {
  const std::string s = rotated_geometry().to_string();
  EXPECT_NE(s.find("0.7"), std::string::npos);
  EXPECT_NE(s.find("-12.5"), std::string::npos);
  EXPECT_NE(s.find("0.866025"), std::string::npos);
}

}  // namespace
}  // namespace unetx::io
