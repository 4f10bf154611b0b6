// A geometry that catches axis-order and sign mistakes: anisotropic spacing, an off-centre
// origin, and a direction that rotates 30 degrees about z and flips z (determinant -1).
#pragma once

#include <cmath>

#include "io/volume.h"

namespace unetx::test {

inline io::Geometry rotated_geometry() {
  const double c = std::cos(M_PI / 6), s = std::sin(M_PI / 6);
  io::Geometry g;
  g.spacing = {0.7, 1.3, 2.5};
  g.origin = {-12.5, 30.25, 7.0};
  g.direction = {c, -s, 0, s, c, 0, 0, 0, -1};
  return g;
}

}  // namespace unetx::test
