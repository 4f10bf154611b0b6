// unetx's own reader for single-file NIfTI-1 and NIfTI-2 images (.nii, .nii.gz) and NIfTI-2
// .hdr/.img(.gz) pairs (NIfTI-1 and Analyze pairs are left to ITK): the whole file
// is read at once and inflated with libdeflate, and the voxels are converted here. It returns
// exactly what the ITK path returns for NIfTI-1 (same dtype, values bit for bit, geometry taken
// from ITK's NiftiImageIO header reading), and reads NIfTI-2, which ITK 5.2 cannot.
//
// Scaling (scl_slope/scl_inter), made explicit: like ITK 5.2, when (slope, inter) != (1, 0)
// (a slope of 0 or NaN counts as 1), integer voxels become float32 and every voxel is
// float((double)(float)v * slope + inter) (float64 voxels: float(v * slope + inter)).
// meta["pixel_type"] is then "float32" (float64 on disk: "float64") and
// meta["stored_pixel_type"], meta["scl_slope"], meta["scl_inter"] record what was on disk.
// Unscaled files keep their stored type.
//
// One deliberate difference from ITK: niftilib (inside ITK) replaces NaN and Inf float voxels
// by 0 without a word; this reader keeps them, so find_bad_voxels (image_check.h) can report
// them and the case can fail instead of training on invented zeros.
#pragma once

#include <filesystem>
#include <optional>

#include "io/nifti_header.h"
#include "io/volume.h"

namespace unetx::io {

// Reads `path` when it is a single-file NIfTI-1/2 image or a NIfTI-2 .hdr the decoder handles
// (scalar voxels of 1 to 4 dimensions: uint8 ... uint64, float32, float64); nullopt otherwise
// (other formats, Analyze, NIfTI-1 pairs, RGB/complex/vector NIfTI-1, which ITK reads). A
// NIfTI-2 .hdr whose .img is missing is an error naming the .hdr. Throws unetx::Error(path, reason) for
// a truncated or corrupt gzip stream, a header promising more voxels than the file holds,
// non-positive spacing, and NIfTI-2 content it cannot decode.
std::optional<Volume> read_nifti_fast(const std::filesystem::path& path);

// Adds meta["stored_pixel_type"], meta["scl_slope"], meta["scl_inter"] when `header` carries a
// scaling that was applied (see above); used by the ITK path too, so both report the same.
void add_nifti_scaling_meta(const NiftiHeader& header, Volume& volume);

}  // namespace unetx::io
