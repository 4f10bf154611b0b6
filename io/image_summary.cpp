#include "io/image_summary.h"

#include <cstdio>
#include <sstream>

#include "io/error.h"
#include "io/image_io.h"

namespace unetx::io {
namespace {

std::string triple(const double* v, const char* fmt) {
  char buf[160];
  std::snprintf(buf, sizeof buf, fmt, v[0] + 0.0, v[1] + 0.0, v[2] + 0.0);  // no "-0"
  return buf;
}

}  // namespace

ImageSummary summarize(const Volume& volume) {
  if (!volume.data.defined() || volume.data.dim() != 4 || volume.data.numel() == 0) {
    throw Error("", "cannot summarise an empty volume");
  }
  ImageSummary s;
  s.size = volume.size();
  s.channels = volume.channels();
  s.geometry = volume.geometry;
  const auto it = volume.meta.find("pixel_type");
  s.pixel_type = it != volume.meta.end() ? it->second : dtype_name(volume.data.scalar_type());
  // Double accumulation: a float32 sum over 10^8 voxels would lose the mean's low digits.
  const at::Tensor d = volume.data.to(at::kDouble);
  s.min = d.min().item<double>();
  s.max = d.max().item<double>();
  s.mean = d.mean().item<double>();
  return s;
}

nlohmann::json to_json(const ImageSummary& s) {
  const Geometry& g = s.geometry;
  nlohmann::json direction = nlohmann::json::array();
  for (int r = 0; r < 3; ++r) {
    direction.push_back({g.direction[r * 3], g.direction[r * 3 + 1], g.direction[r * 3 + 2]});
  }
  return {{"size", {s.size[0], s.size[1], s.size[2]}},
          {"channels", s.channels},
          {"spacing", {g.spacing[0], g.spacing[1], g.spacing[2]}},
          {"origin", {g.origin[0], g.origin[1], g.origin[2]}},
          {"direction", direction},
          {"pixel_type", s.pixel_type},
          {"min", s.min},
          {"max", s.max},
          {"mean", s.mean}};
}

std::string to_text(const ImageSummary& s) {
  const Geometry& g = s.geometry;
  std::ostringstream out;
  out << "size:       " << s.size[0] << " x " << s.size[1] << " x " << s.size[2] << " voxels\n"
      << "channels:   " << s.channels << "\n"
      << "spacing:    " << triple(g.spacing.data(), "%.6g x %.6g x %.6g mm") << "\n"
      << "origin:     " << triple(g.origin.data(), "(%.6g, %.6g, %.6g) mm") << "\n";
  for (int r = 0; r < 3; ++r) {
    out << (r == 0 ? "direction:  " : "            ")
        << triple(&g.direction[r * 3], "[%9.6f %9.6f %9.6f]") << "\n";
  }
  char range[160];
  std::snprintf(range, sizeof range, "min %.6g, max %.6g, mean %.6g", s.min, s.max, s.mean);
  out << "pixel type: " << s.pixel_type << "\n"
      << "intensity:  " << range << "\n";
  return out.str();
}

}  // namespace unetx::io
