// Canonical orientation: the voxel axes of every case permuted and flipped so that index x runs
// towards the patient's left, y towards posterior and z towards superior (LPS, direction close
// to the identity), whatever order the scanner or the converter stored them in. Only whole
// axes move, so it is exact (no resampling) and undone exactly on the way back; an oblique
// residue stays in the direction matrix, as with nibabel's "closest canonical".
//
// Why: per-axis statistics of a cohort (median spacing, patch size) and a 2-D network's slicing
// axis only mean the same anatomy in every case once the axes agree. A sagittal and an axial
// acquisition of the same head would otherwise mix their thick and thin axes.
#pragma once

#include <ATen/ATen.h>

#include <array>
#include <string>

#include <nlohmann/json.hpp>

#include "io/volume.h"

namespace unetx::pipeline {

// How a grid's axes become the canonical ones. Axes are numbered x = 0, y = 1, z = 2.
struct AxisMap {
  std::array<int, 3> from{0, 1, 2};               // canonical axis a is source axis from[a]
  std::array<bool, 3> flip{false, false, false};  // ... traversed from its last voxel
  bool identity() const;
  bool operator==(const AxisMap& o) const { return from == o.from && flip == o.flip; }
};

// The axis map that brings `g`'s direction closest to the identity: each physical axis takes the
// voxel axis whose direction cosine along it is largest in magnitude (largest first), flipped
// when that cosine is negative.
AxisMap canonical_axes(const io::Geometry& g);

// Plan::orientation values: "LPS" (canonical_axes) or "native" (the identity: axes as stored).
// A volume with a single slice (2-D image) keeps its z axis: it is slice-wise either way.
AxisMap axes_for(const std::string& orientation, const io::Geometry& g, const io::Size3& size);
bool is_orientation(const std::string& orientation);

// The grid after `m`: sizes and spacings permuted, direction D * F for the signed permutation F,
// origin at the physical position of the source voxel that becomes index (0, 0, 0).
io::Size3 reoriented_size(const io::Size3& size, const AxisMap& m);
io::Geometry reoriented_geometry(const io::Geometry& g, const io::Size3& size, const AxisMap& m);

// (C, Z, Y, X) data to the canonical axes and back (contiguous copies unless `m` is the identity).
// undo_reorientation(reorient_data(x, m), m) equals x.
at::Tensor reorient_data(const at::Tensor& x, const AxisMap& m);
at::Tensor undo_reorientation(const at::Tensor& x, const AxisMap& m);

// Writes `block` (C, nz, ny, nx), the canonical-grid voxels from index `begin` (x, y, z) on,
// into `original` (C, Z, Y, X) stored on the source axes, where undo_reorientation would put
// them. Lets a large result be produced canonical piece by canonical piece straight into its
// stored layout (which may be a file mapping), with no whole-volume canonical copy.
void copy_to_original(const at::Tensor& block, const std::array<int64_t, 3>& begin,
                      const AxisMap& m, at::Tensor& original);

// Data and geometry together: every voxel keeps its value and its physical position.
io::Volume reorient(const io::Volume& v, const AxisMap& m);

// {"from": [..], "flip": [..]}; axis_map_from_json throws nlohmann::json::exception on a
// malformed object and unetx::Error on one that is not a signed permutation.
nlohmann::json to_json(const AxisMap& m);
AxisMap axis_map_from_json(const nlohmann::json& j);

}  // namespace unetx::pipeline
