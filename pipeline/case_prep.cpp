#include "pipeline/case_prep.h"

#include <cmath>
#include <string>
#include <vector>

#include "io/error.h"
#include "io/image_check.h"
#include "pipeline/class_argmax.h"
#include "pipeline/normalize.h"
#include "pipeline/plan_match.h"
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
  check_image_fits_plan(id, image, plan);
  io::check_spacing(image.geometry, id);
  if (plan.spatial_dims == 3) io::require_3d(image, id);
  if (auto bad = io::find_bad_voxels(image)) throw Error(id, "image holds " + *bad);
}

// `label` and `image` as read (their grids are compared there); `axes` then brings the label to
// the canonical grid the crop box refers to.
at::Tensor prepare_label(const std::string& id, const io::Volume& label, const io::Volume& image,
                         const Plan& plan, const AxisMap& axes, const CropBox& box,
                         const std::array<double, 3>& spacing_to,
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
  const io::Volume canonical = reorient(label, axes);
  return resample(crop(canonical.data, box).to(at::kByte), canonical.geometry.spacing, spacing_to,
                  size_to, Interp::Nearest);
}

// x (K, Z, Y, X) on the plan grid -> the crop box on the canonical original grid -> the whole
// canonical grid, `fill` per channel outside the box -> the original grid's axes.
at::Tensor to_original(const at::Tensor& x, const PreparedCase& pc,
                       const std::vector<double>& fill) {
  check_4d(pc.id, x, "probabilities");
  if (pc.image.defined() && size_xyz(x) != size_xyz(pc.image)) {
    throw Error(pc.id, "probabilities are not on the case's plan grid");
  }
  const io::Size3 canonical_size = pc.canonical_size();
  const CropBox box = pc.crop.on(canonical_size);
  const at::Tensor on_box =
      resample(x.to(at::kFloat), pc.geometry.spacing, pc.canonical_geometry().spacing, box.size,
               Interp::Linear);
  return undo_reorientation(uncrop(on_box, pc.crop, canonical_size, fill), pc.axes);
}

nlohmann::json geometry_json(const io::Geometry& g) {
  return {{"spacing", g.spacing}, {"origin", g.origin}, {"direction", g.direction}};
}

io::Geometry geometry_from_json(const nlohmann::json& j) {
  io::Geometry g;
  g.spacing = j.at("spacing").get<io::Vec3>();
  g.origin = j.at("origin").get<io::Vec3>();
  g.direction = j.at("direction").get<io::Mat3>();
  return g;
}

}  // namespace

PreparedCase prepare_case(const std::string& id, const io::Volume& image, const io::Volume* label,
                          const Plan& plan) {
  check_image(id, image, plan);
  PreparedCase pc;
  pc.id = id;
  pc.original_geometry = image.geometry;
  pc.original_size = size_xyz(image.data);
  // Reorienting only moves whole axes, so it is exact and comes first: everything after it
  // (crop box, spacings, the plan grid) is on the canonical axes.
  pc.axes = axes_for(plan.orientation, image.geometry, pc.original_size);
  const io::Volume canonical = reorient(image, pc.axes);
  // Cropping happens on the (canonical) original grid, before resampling, as in nnU-Net: the box
  // is then exact in original voxels and restoring is a resample plus a paste.
  if (plan.crop_to_nonzero) pc.crop = nonzero_box(canonical.data);
  const CropBox box = pc.crop.on(canonical.size());
  std::array<double, 3> spacing_to = plan.target_spacing;
  if (plan.spatial_dims == 2) spacing_to[2] = canonical.geometry.spacing[2];
  const auto& spacing_from = canonical.geometry.spacing;
  const auto size_to = resampled_size(box.size, spacing_from, spacing_to);
  pc.geometry = resampled_geometry(cropped_geometry(canonical.geometry, pc.crop), spacing_to);
  if (label != nullptr) {
    pc.label = prepare_label(id, *label, image, plan, pc.axes, pc.crop, spacing_to, size_to);
  }
  const at::Tensor x = crop(canonical.data, pc.crop).to(at::kFloat);
  at::Tensor nonzero;  // the region "zscore_nonzero" normalizes, on the plan grid
  if (needs_nonzero_mask(plan)) {
    nonzero = resample(x.ne(0).any(0, /*keepdim=*/true).to(at::kByte), spacing_from, spacing_to,
                       size_to, Interp::Nearest)[0]
                  .to(at::kBool);
  }
  pc.image = normalize_channels(resample(x, spacing_from, spacing_to, size_to, Interp::Linear),
                                plan, nonzero);
  return pc;
}

at::Tensor restore_to_original(const at::Tensor& probs, const PreparedCase& pc) {
  // Background outside the crop box: one-hot class 0, or 0 for a single foreground channel.
  return to_original(probs, pc, probs.dim() == 4 && probs.size(0) > 1 ? std::vector<double>{1.0}
                                                                      : std::vector<double>{});
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
    v.data = class_argmax(probs_original, 0);
  }
  return v;
}

io::Volume map_to_original(const at::Tensor& map, const PreparedCase& pc) {
  io::Volume v;
  v.geometry = pc.original_geometry;
  v.data = to_original(map, pc, {});
  return v;
}

nlohmann::json preparation_json(const PreparedCase& pc) {
  return {{"original_size", pc.original_size},
          {"original_geometry", geometry_json(pc.original_geometry)},
          {"axes", to_json(pc.axes)},
          {"crop", to_json(pc.crop)},
          {"geometry", geometry_json(pc.geometry)}};
}

void read_preparation_json(const nlohmann::json& j, PreparedCase& pc) {
  try {
    pc.original_size = j.at("original_size").get<std::array<int64_t, 3>>();
    pc.original_geometry = geometry_from_json(j.at("original_geometry"));
    // Records written before reorientation existed kept the axes as stored.
    pc.axes = j.contains("axes") ? axis_map_from_json(j.at("axes")) : AxisMap{};
    pc.crop = crop_box_from_json(j.at("crop"));
    pc.geometry = geometry_from_json(j.at("geometry"));
  } catch (const nlohmann::json::exception& e) {
    throw Error(pc.id, std::string("malformed preparation record: ") + e.what());
  }
}

}  // namespace unetx::pipeline
