#include "io/image_check.h"

#include <cmath>
#include <cstdio>

#include "io/error.h"

namespace unetx::io {

void check_spacing(const Geometry& geometry, const std::string& file) {
  for (int i = 0; i < 3; ++i) {
    const double d = geometry.spacing[i];
    if (!(d > 0) || !std::isfinite(d)) {
      char value[32];
      std::snprintf(value, sizeof value, "%g", d);
      throw Error(file,
                  std::string("invalid voxel spacing (axis ") + "xyz"[i] + " = " + value + ")");
    }
  }
}

std::optional<std::string> find_bad_voxels(const Volume& volume) {
  const at::Tensor& d = volume.data;
  if (!d.defined() || !d.is_floating_point()) return std::nullopt;
  const int64_t nan = d.isnan().sum().item<int64_t>();
  const int64_t inf = d.isinf().sum().item<int64_t>();
  if (nan == 0 && inf == 0) return std::nullopt;
  std::string text;
  if (nan > 0) text = std::to_string(nan) + " NaN";
  if (inf > 0) text += (text.empty() ? "" : " and ") + std::to_string(inf) + " Inf";
  return text + " voxels";
}

void require_3d(const Volume& volume, const std::string& file) {
  const Size3 s = volume.size();
  if (s[2] > 1) return;
  throw Error(file, "is a 2-D image (" + std::to_string(s[0]) + "x" + std::to_string(s[1]) +
                        " voxels, 1 slice); a 3-D volume is expected");
}

}  // namespace unetx::io
