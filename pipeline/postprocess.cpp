#include "pipeline/postprocess.h"

#include <stdexcept>
#include <vector>

namespace unetx::pipeline {

at::Tensor keep_largest_components(const at::Tensor& labels, Connectivity connectivity) {
  at::Tensor out = labels.clone();
  const at::Tensor classes = std::get<0>(at::_unique(labels.flatten(), /*sorted=*/true));
  for (int64_t i = 0; i < classes.numel(); ++i) {
    const at::Tensor cls = classes[i];
    if (cls.item<int64_t>() == 0) continue;
    const Components c = label_components(labels == cls, connectivity);
    if (c.count() <= 1) continue;
    int64_t best = 1;
    for (int64_t k = 2; k <= c.count(); ++k) {
      if (c.sizes[k] > c.sizes[best]) best = k;
    }
    out.masked_fill_((c.labels > 0) & (c.labels != best), 0);
  }
  return out;
}

at::Tensor fill_holes(const at::Tensor& labels, Connectivity connectivity) {
  const at::Tensor lab = labels.to(at::kLong).contiguous();
  const Components bg = label_components(lab == 0, connectivity);
  if (bg.count() == 0) return labels.clone();
  const int64_t nz = lab.size(0), ny = lab.size(1), nx = lab.size(2);
  const int64_t* cls = lab.data_ptr<int64_t>();
  const int32_t* id = bg.labels.data_ptr<int32_t>();
  // Per background region: does it touch the border, and which class surrounds it
  // (0: none seen yet, -1: more than one).
  std::vector<char> border(static_cast<size_t>(bg.count() + 1), 0);
  std::vector<int64_t> around(static_cast<size_t>(bg.count() + 1), 0);
  const std::vector<Offset> steps = neighbours(connectivity);
  for (int64_t z = 0; z < nz; ++z) {
    for (int64_t y = 0; y < ny; ++y) {
      for (int64_t x = 0; x < nx; ++x) {
        const int64_t at = (z * ny + y) * nx + x;
        const int32_t k = id[at];
        if (k == 0) continue;
        if (z == 0 || y == 0 || x == 0 || z == nz - 1 || y == ny - 1 || x == nx - 1) border[k] = 1;
        for (const Offset& o : steps) {
          const int64_t zz = z + o.dz, yy = y + o.dy, xx = x + o.dx;
          if (zz < 0 || zz >= nz || yy < 0 || yy >= ny || xx < 0 || xx >= nx) continue;
          const int64_t c = cls[(zz * ny + yy) * nx + xx];
          if (c == 0 || around[k] == c) continue;
          around[k] = around[k] == 0 ? c : -1;
        }
      }
    }
  }
  std::vector<int64_t> fill(around.size(), 0);
  for (size_t k = 1; k < around.size(); ++k) fill[k] = !border[k] && around[k] > 0 ? around[k] : 0;
  const at::Tensor fill_of = at::tensor(fill, at::kLong);
  const at::Tensor filled = at::where(bg.labels > 0, fill_of.index({bg.labels.to(at::kLong)}), lab);
  return filled.to(labels.scalar_type());
}

at::Tensor postprocess_labels(const at::Tensor& labels, const PostprocessOptions& options) {
  if (labels.dim() != 3 && !(labels.dim() == 4 && labels.size(0) == 1)) {
    throw std::invalid_argument("postprocess_labels: labels must be (Z, Y, X) or (1, Z, Y, X)");
  }
  at::Tensor out = labels.dim() == 4 ? labels[0] : labels;
  if (options.largest_component) out = keep_largest_components(out, options.connectivity);
  if (options.fill_holes) out = fill_holes(out, options.connectivity);
  if (!options.largest_component && !options.fill_holes) out = out.clone();
  return labels.dim() == 4 ? out.unsqueeze(0) : out;
}

}  // namespace unetx::pipeline
