#include "pipeline/connected_components.h"

#include <stdexcept>

namespace unetx::pipeline {
std::vector<Offset> neighbours(Connectivity connectivity) {
  std::vector<Offset> out;
  for (int dz = -1; dz <= 1; ++dz) {
    for (int dy = -1; dy <= 1; ++dy) {
      for (int dx = -1; dx <= 1; ++dx) {
        const int moved = (dz != 0) + (dy != 0) + (dx != 0);
        if (moved == 0) continue;
        if (connectivity == Connectivity::kFaces && moved > 1) continue;
        out.push_back({dz, dy, dx});
      }
    }
  }
  return out;
}

Components label_components(const at::Tensor& mask, Connectivity connectivity) {
  if (mask.dim() != 3) throw std::invalid_argument("label_components: mask must be (Z, Y, X)");
  const at::Tensor m = mask.to(at::kBool).contiguous();
  const int64_t nz = m.size(0), ny = m.size(1), nx = m.size(2);
  Components out;
  out.labels = at::zeros(m.sizes(), at::kInt);
  out.sizes = {0};
  const bool* in = m.data_ptr<bool>();
  int32_t* label = out.labels.data_ptr<int32_t>();
  const std::vector<Offset> steps = neighbours(connectivity);
  std::vector<int64_t> stack;
  // Flood fill from each unlabelled voxel, with an explicit stack (no recursion depth limit).
  for (int64_t seed = 0; seed < m.numel(); ++seed) {
    if (!in[seed] || label[seed] != 0) continue;
    const auto id = static_cast<int32_t>(out.sizes.size());
    int64_t size = 0;
    label[seed] = id;
    stack.push_back(seed);
    while (!stack.empty()) {
      const int64_t at = stack.back();
      stack.pop_back();
      ++size;
      const int64_t z = at / (ny * nx), y = (at / nx) % ny, x = at % nx;
      for (const Offset& o : steps) {
        const int64_t zz = z + o.dz, yy = y + o.dy, xx = x + o.dx;
        if (zz < 0 || zz >= nz || yy < 0 || yy >= ny || xx < 0 || xx >= nx) continue;
        const int64_t next = (zz * ny + yy) * nx + xx;
        if (in[next] && label[next] == 0) {
          label[next] = id;
          stack.push_back(next);
        }
      }
    }
    out.sizes.push_back(size);
  }
  return out;
}

}  // namespace unetx::pipeline
