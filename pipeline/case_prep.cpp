#include "pipeline/case_prep.h"

#include <cmath>
#include <string>
#include <vector>

#include "io/error.h"
#include "io/image_check.h"
#include "pipeline/normalize.h"
#include "pipeline/resample.h"

namespace unetx::pipeline {

namespace {

constexpr double kGridTolerance = 1e-4;

std::array<int64_t, 3> size_xyz(const at::Tensor& t) { return {t.size(3), t.size(2), t.size(1)}; }

// Names the parts of the grid that differ ("size, origin"), empty when the grids agree. Spacing
// is compared relative to itself, origin relative to the spacing, direction cosines absolutely.
std::string grid_difference(const io::Volume& a, const io::Volume& b) {
  std::vector<std::string> diffs;
  if (size_xyz(a.data) != size_xyz(b.data)) diffs.push_back("size");
  const auto& ga = a.geometry;
  const auto& gb = b.geometry;
  bool spacing = false, origin = false, direction = false;
  for (int i = 0; i < 3; ++i) {
    const double s = std::abs(ga.spacing[i]);
    if (std::abs(ga.spacing[i] - gb.spacing[i]) > kGridTolerance * s) spacing = true;
    if (std::abs(ga.origin[i] - gb.origin[i]) > kGridTolerance * s) origin = true;
  }
  for (int i = 0; i < 9; ++i) {
    if (std::abs(ga.direction[i] - gb.direction[i]) > kGridTolerance) direction = true;
  }
  if (spacing) diffs.push_back("spacing");
  if (origin) diffs.push_back("origin");
  if (direction) diffs.push_back("direction");
  std::string out;
  for (const auto& d : diffs) out += (out.empty() ? "" : ", ") + d;
  return out;
}

void check_4d(const std::string& id, const at::Tensor& t, const char* what) {
  if (!t.defined() || t.dim() != 4) {
    throw Error(id, std::string(what) + " must be a (C, Z, Y, X) tensor");
  }
}

// Input that would train or predict garbage without failing: refused with the reason.
void check_image(const std::string& id, const io::Volume& image, const Plan& plan) {
  check_4d(id, image.data, "image");
  if (image.data.size(0) != plan.in_channels) {
    throw Error(id, "image has " + std::to_string(image.data.size(0)) + " channels, the plan " +
                        std::to_string(plan.in_channels));
  }
  io::check_spacing(image.geometry, id);
  if (plan.spatial_dims == 3) io::require_3d(image, id);
  if (auto bad = io::find_bad_voxels(image)) throw Error(id, "image holds " + *bad);
}

at::Tensor prepare_label(const std::string& id, const io::Volume& label, const io::Volume& image,
                         const Plan& plan, const std::array<double, 3>& spacing_to,
                         const std::array<int64_t, 3>& size_to) {
  check_4d(id, label.data, "label");
  if (label.data.size(0) != 1) throw Error(id, "label must have one channel");
  const std::string diff = grid_difference(image, label);
  if (!diff.empty()) throw Error(id, "label grid differs from image: " + diff);
  if (at::isFloatingType(label.data.scalar_type())) {
    if (!label.data.eq(label.data.round()).all().item<bool>()) {
      throw Error(id, "label holds non-integer values");
    }
  }
  const int64_t lo = label.data.min().item<double>();
  const int64_t hi = label.data.max().item<double>();
  if (lo < 0 || hi >= plan.num_classes()) {
    throw Error(id, "label values " + std::to_string(lo) + ".." + std::to_string(hi) +
                        " outside the plan's labels 0.." + std::to_string(plan.num_classes() - 1));
  }
  return resample(label.data.to(at::kByte), label.geometry.spacing, spacing_to, size_to,
                  Interp::Nearest);
}

}  // namespace

PreparedCase prepare_case(const std::string& id, const io::Volume& image, const io::Volume* label,
                          const Plan& plan) {
  check_image(id, image, plan);
  PreparedCase pc;
  pc.id = id;
  pc.original_geometry = image.geometry;
  pc.original_size = size_xyz(image.data);
  std::array<double, 3> spacing_to = plan.target_spacing;
  if (plan.spatial_dims == 2) spacing_to[2] = image.geometry.spacing[2];
  const auto size_to = resampled_size(pc.original_size, image.geometry.spacing, spacing_to);
  pc.geometry = resampled_geometry(image.geometry, spacing_to);
  if (label != nullptr) {
    pc.label = prepare_label(id, *label, image, plan, spacing_to, size_to);
  }
  pc.image = zscore(resample(image.data.to(at::kFloat), image.geometry.spacing, spacing_to, size_to,
                             Interp::Linear));
  return pc;
}

at::Tensor restore_to_original(const at::Tensor& probs, const PreparedCase& pc) {
  check_4d(pc.id, probs, "probabilities");
  if (pc.image.defined() && size_xyz(probs) != size_xyz(pc.image)) {
    throw Error(pc.id, "probabilities are not on the case's plan grid");
  }
  return resample(probs.to(at::kFloat), pc.geometry.spacing, pc.original_geometry.spacing,
                  pc.original_size, Interp::Linear);
}

io::Volume labels_volume(const at::Tensor& probs_original, const io::Geometry& geometry) {
  if (!probs_original.defined() || probs_original.dim() != 4) {
    throw Error("", "labels_volume: expected (K, Z, Y, X) scores");
  }
  io::Volume v;
  v.geometry = geometry;
  if (probs_original.size(0) == 1) {
    v.data = probs_original.gt(0.5).to(at::kByte);
  } else {
    v.data = probs_original.argmax(0, /*keepdim=*/true).to(at::kByte);
  }
  return v;
}

io::Volume map_to_original(const at::Tensor& map, const PreparedCase& pc) {
  io::Volume v;
  v.geometry = pc.original_geometry;
  v.data = restore_to_original(map, pc);
  return v;
}

}  // namespace unetx::pipeline
