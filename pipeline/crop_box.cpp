#include "pipeline/crop_box.h"

#include <string>

#include "io/error.h"

namespace unetx::pipeline {

CropBox CropBox::on(const std::array<int64_t, 3>& grid_size) const {
  if (!whole()) return *this;
  return CropBox{{0, 0, 0}, grid_size};
}

CropBox nonzero_box(const at::Tensor& x) {
  if (x.dim() != 4) throw Error("", "nonzero_box: expected a (C, Z, Y, X) tensor");
  const at::Tensor any = x.ne(0).any(0);  // (Z, Y, X)
  CropBox box;
  for (int a = 0; a < 3; ++a) {
    // Project onto one axis: which slices along it hold a nonzero voxel.
    std::vector<int64_t> others;
    for (int d = 0; d < 3; ++d)
      if (d != 2 - a) others.push_back(d);
    const at::Tensor used = any.any(others[1]).any(others[0]).nonzero();
    if (used.numel() == 0) return CropBox{};
    const int64_t lo = used.min().item<int64_t>(), hi = used.max().item<int64_t>();
    box.begin[a] = lo;
    box.size[a] = hi - lo + 1;
  }
  return box;
}

at::Tensor crop(const at::Tensor& x, const CropBox& box) {
  if (box.whole()) return x;
  for (int a = 0; a < 3; ++a) {
    if (box.begin[a] < 0 || box.begin[a] + box.size[a] > x.size(3 - a))
      throw Error("", "crop: the box does not fit the grid");
  }
  return x.narrow(3, box.begin[0], box.size[0])
      .narrow(2, box.begin[1], box.size[1])
      .narrow(1, box.begin[2], box.size[2]);
}

io::Geometry cropped_geometry(const io::Geometry& g, const CropBox& box) {
  io::Geometry out = g;
  if (box.whole()) return out;
  out.origin = g.index_to_physical({static_cast<double>(box.begin[0]),
                                    static_cast<double>(box.begin[1]),
                                    static_cast<double>(box.begin[2])});
  return out;
}

at::Tensor uncrop(const at::Tensor& x, const CropBox& box, const std::array<int64_t, 3>& full_xyz,
                  const std::vector<double>& fill) {
  const CropBox b = box.on(full_xyz);
  if (x.dim() != 4 || x.size(3) != b.size[0] || x.size(2) != b.size[1] || x.size(1) != b.size[2])
    throw Error("", "uncrop: the tensor does not have the crop box's size");
  if (b.begin == std::array<int64_t, 3>{0, 0, 0} && b.size == full_xyz) return x;
  auto out = at::zeros({x.size(0), full_xyz[2], full_xyz[1], full_xyz[0]}, x.options());
  for (size_t k = 0; k < fill.size() && static_cast<int64_t>(k) < x.size(0); ++k)
    out[static_cast<int64_t>(k)].fill_(fill[k]);
  crop(out, b).copy_(x);
  return out;
}

nlohmann::json to_json(const CropBox& box) {
  return {{"begin", box.begin}, {"size", box.size}};
}

CropBox crop_box_from_json(const nlohmann::json& j) {
  CropBox box;
  box.begin = j.at("begin").get<std::array<int64_t, 3>>();
  box.size = j.at("size").get<std::array<int64_t, 3>>();
  return box;
}

}  // namespace unetx::pipeline
