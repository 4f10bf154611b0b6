#include "pipeline/orientation.h"

#include <cmath>
#include <vector>

#include "io/error.h"

namespace unetx::pipeline {

namespace {

// Tensor dimension of spatial axis a in a (C, Z, Y, X) tensor.
int64_t dim_of(int axis) { return 3 - axis; }

void check_permutation(const AxisMap& m) {
  std::array<bool, 3> seen{false, false, false};
  for (int a : m.from) {
    if (a < 0 || a > 2 || seen[a]) throw Error("", "axis map is not a permutation of x, y, z");
    seen[a] = true;
  }
}

}  // namespace

bool AxisMap::identity() const { return *this == AxisMap{}; }

AxisMap canonical_axes(const io::Geometry& g) {
  // direction is row-major with columns = voxel axes: d(r, c) is the cosine of voxel axis c
  // along physical axis r.
  auto d = [&](int r, int c) { return g.direction[3 * r + c]; };
  AxisMap m;
  std::array<bool, 3> row_used{false, false, false}, col_used{false, false, false};
  for (int pick = 0; pick < 3; ++pick) {
    int best_r = -1, best_c = -1;
    double best = -1.0;
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c)
        if (!row_used[r] && !col_used[c] && std::abs(d(r, c)) > best) {
          best = std::abs(d(r, c));
          best_r = r;
          best_c = c;
        }
    row_used[best_r] = col_used[best_c] = true;
    m.from[best_r] = best_c;
    m.flip[best_r] = d(best_r, best_c) < 0;
  }
  return m;
}

bool is_orientation(const std::string& orientation) {
  return orientation == "LPS" || orientation == "native";
}

AxisMap axes_for(const std::string& orientation, const io::Geometry& g, const io::Size3& size) {
  if (!is_orientation(orientation))
    throw Error("", "unknown orientation \"" + orientation + "\" (LPS or native)");
  if (orientation == "native") return AxisMap{};
  AxisMap m = canonical_axes(g);
  if (size[2] == 1 && m.from[2] != 2) return AxisMap{};
  return m;
}

io::Size3 reoriented_size(const io::Size3& size, const AxisMap& m) {
  return {size[m.from[0]], size[m.from[1]], size[m.from[2]]};
}

io::Geometry reoriented_geometry(const io::Geometry& g, const io::Size3& size, const AxisMap& m) {
  check_permutation(m);
  io::Geometry out;
  io::Vec3 corner{0, 0, 0};  // source index of the new (0, 0, 0)
  for (int a = 0; a < 3; ++a) {
    const int s = m.from[a];
    const double sign = m.flip[a] ? -1.0 : 1.0;
    out.spacing[a] = g.spacing[s];
    for (int r = 0; r < 3; ++r) out.direction[3 * r + a] = sign * g.direction[3 * r + s];
    if (m.flip[a]) corner[s] = static_cast<double>(size[s] - 1);
  }
  out.origin = g.index_to_physical(corner);
  return out;
}

at::Tensor reorient_data(const at::Tensor& x, const AxisMap& m) {
  check_permutation(m);
  if (m.identity()) return x;
  if (x.dim() != 4) throw Error("", "reorientation needs (C, Z, Y, X) data");
  at::Tensor y = x.permute({0, dim_of(m.from[2]), dim_of(m.from[1]), dim_of(m.from[0])});
  std::vector<int64_t> flips;
  for (int a = 0; a < 3; ++a)
    if (m.flip[a]) flips.push_back(dim_of(a));
  if (!flips.empty()) y = y.flip(flips);
  return y.contiguous();
}

at::Tensor undo_reorientation(const at::Tensor& x, const AxisMap& m) {
  check_permutation(m);
  if (m.identity()) return x;
  if (x.dim() != 4) throw Error("", "reorientation needs (C, Z, Y, X) data");
  std::vector<int64_t> flips;
  for (int a = 0; a < 3; ++a)
    if (m.flip[a]) flips.push_back(dim_of(a));
  at::Tensor y = flips.empty() ? x : x.flip(flips);
  // Canonical dim dim_of(a) holds source axis from[a]; put it back at dim_of(from[a]).
  std::vector<int64_t> order(4, 0);
  for (int a = 0; a < 3; ++a) order[dim_of(m.from[a])] = dim_of(a);
  return y.permute(order).contiguous();
}

void copy_to_original(const at::Tensor& block, const std::array<int64_t, 3>& begin,
                      const AxisMap& m, at::Tensor& original) {
  check_permutation(m);
  if (block.dim() != 4 || original.dim() != 4)
    throw Error("", "reorientation needs (C, Z, Y, X) data");
  std::vector<int64_t> flips;
  at::Tensor target = original;
  for (int a = 0; a < 3; ++a) {
    const int64_t dim = dim_of(m.from[a]);
    const int64_t n = block.size(dim_of(a));
    // A flipped axis runs from the source's last voxel: canonical [b, b + n) is source
    // [S - b - n, S - b), in reverse order.
    const int64_t start = m.flip[a] ? original.size(dim) - begin[a] - n : begin[a];
    target = target.narrow(dim, start, n);
    if (m.flip[a]) flips.push_back(dim_of(a));
  }
  const at::Tensor y = flips.empty() ? block : block.flip(flips);
  std::vector<int64_t> order(4, 0);
  for (int a = 0; a < 3; ++a) order[dim_of(m.from[a])] = dim_of(a);
  target.copy_(y.permute(order));
}

io::Volume reorient(const io::Volume& v, const AxisMap& m) {
  io::Volume out;
  out.meta = v.meta;
  out.geometry = reoriented_geometry(v.geometry, v.size(), m);
  out.data = reorient_data(v.data, m);
  return out;
}

nlohmann::json to_json(const AxisMap& m) { return {{"from", m.from}, {"flip", m.flip}}; }

AxisMap axis_map_from_json(const nlohmann::json& j) {
  AxisMap m;
  m.from = j.at("from").get<std::array<int, 3>>();
  m.flip = j.at("flip").get<std::array<bool, 3>>();
  check_permutation(m);
  return m;
}

}  // namespace unetx::pipeline
