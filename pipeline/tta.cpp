#include "pipeline/tta.h"

#include "io/error.h"

namespace unetx::pipeline {

MirrorAxes MirrorAxes::parse(const std::string& text) {
  MirrorAxes a;
  if (text == "none") return a;
  if (text == "all") {
    a.all = true;
    return a;
  }
  if (text.empty()) throw Error("--tta", "expected none, all or mirror axes such as x, xy, xyz");
  for (char c : text) {
    bool* axis = c == 'x' ? &a.x : c == 'y' ? &a.y : c == 'z' ? &a.z : nullptr;
    if (axis == nullptr || *axis) {
      throw Error("--tta", "'" + text +
                               "': expected none, all or mirror axes such as x, xy, xyz "
                               "(each of x, y, z at most once)");
    }
    *axis = true;
  }
  return a;
}

std::string MirrorAxes::to_string() const {
  if (all) return "all";
  if (none()) return "none";
  return std::string(x ? "x" : "") + (y ? "y" : "") + (z ? "z" : "");
}

std::vector<std::vector<int64_t>> mirror_flips(const MirrorAxes& axes, int spatial_dims) {
  if (spatial_dims != 2 && spatial_dims != 3) throw Error("--tta", "spatial_dims must be 2 or 3");
  if (axes.z && !axes.all && spatial_dims == 2) {
    throw Error("--tta", "'" + axes.to_string() +
                             "': a 2-D network predicts single slices, which have no z axis to "
                             "mirror (use x, y, xy or all)");
  }
  // Tensor dims of a window (B, C, [Z,] Y, X): x is the last.
  const int64_t x_dim = spatial_dims + 1;
  std::vector<int64_t> dims;
  if (axes.all || axes.x) dims.push_back(x_dim);
  if (axes.all || axes.y) dims.push_back(x_dim - 1);
  if ((axes.all && spatial_dims == 3) || axes.z) dims.push_back(x_dim - 2);
  // Every subset of `dims`, the empty one (identity) first.
  std::vector<std::vector<int64_t>> flips;
  for (size_t mask = 0; mask < (size_t{1} << dims.size()); ++mask) {
    std::vector<int64_t> f;
    for (size_t i = 0; i < dims.size(); ++i)
      if (mask & (size_t{1} << i)) f.push_back(dims[i]);
    flips.push_back(f);
  }
  return flips;
}

at::Tensor mirrored_mean(const at::Tensor& batch, const std::vector<std::vector<int64_t>>& flips,
                         const std::function<at::Tensor(const at::Tensor&)>& predict) {
  if (flips.empty()) return predict(batch);
  at::Tensor sum;
  for (const auto& f : flips) {
    at::Tensor p = f.empty() ? predict(batch) : predict(batch.flip(f)).flip(f);
    // The first prediction may alias the caller's storage; the rest are added into a copy.
    sum = sum.defined() ? sum.add_(p) : p.to(at::kFloat).clone();
  }
  if (flips.size() > 1) sum.div_(static_cast<double>(flips.size()));
  return sum;
}

}  // namespace unetx::pipeline
