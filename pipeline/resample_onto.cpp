#include "pipeline/resample_onto.h"

#include <cmath>

namespace unetx::pipeline {
namespace {

// index -> physical affine (x, y, z order): the 3x3 matrix direction * diag(spacing).
at::Tensor index_to_physical_matrix(const io::Geometry& g) {
  at::Tensor m = at::empty({3, 3}, at::kDouble);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) m[r][c] = g.direction[3 * r + c] * g.spacing[c];
  return m;
}

at::Tensor vec(const io::Vec3& v) { return at::tensor({v[0], v[1], v[2]}, at::kDouble); }

}  // namespace

io::Volume resample_onto_nearest(const io::Volume& source, const io::Geometry& grid,
                                 const io::Size3& size) {
  const io::Size3 src_size = source.size();
  // target index -> source continuous index: A * idx + b.
  const at::Tensor to_source = at::linalg_inv(index_to_physical_matrix(source.geometry));
  const at::Tensor a = to_source.matmul(index_to_physical_matrix(grid));
  const at::Tensor b = to_source.matmul(vec(grid.origin) - vec(source.geometry.origin));

  const int64_t channels = source.data.size(0);
  io::Volume out;
  out.geometry = grid;
  out.meta = source.meta;
  out.data = at::zeros({channels, size[2], size[1], size[0]}, source.data.options());
  const at::Tensor src_flat = source.data.reshape({channels, -1});
  const auto dbl = at::TensorOptions().dtype(at::kDouble);
  const at::Tensor xs = at::arange(size[0], dbl);
  const at::Tensor ys = at::arange(size[1], dbl);
  // One target slice at a time keeps the index grid small for large volumes.
  const auto yx = at::meshgrid({ys, xs}, "ij");
  for (int64_t z = 0; z < size[2]; ++z) {
    const at::Tensor idx =
        at::stack({yx[1].flatten(), yx[0].flatten(), at::full({size[0] * size[1]}, double(z), dbl)},
                  1);                                                    // (N, 3) as (x, y, z)
    const at::Tensor s = (idx.matmul(a.t()) + b).round().to(at::kLong);  // (N, 3)
    const at::Tensor sx = s.select(1, 0), sy = s.select(1, 1), sz = s.select(1, 2);
    const at::Tensor inside = sx.ge(0) & sx.lt(src_size[0]) & sy.ge(0) & sy.lt(src_size[1]) &
                              sz.ge(0) & sz.lt(src_size[2]);
    const at::Tensor flat =
        ((sz * src_size[1] + sy) * src_size[0] + sx).clamp(0, src_flat.size(1) - 1);
    at::Tensor values = src_flat.index_select(1, flat);
    values.masked_fill_(inside.logical_not().unsqueeze(0), 0);
    out.data.select(1, z).copy_(values.view({channels, size[1], size[0]}));
  }
  return out;
}

}  // namespace unetx::pipeline
