// Completeness and sanity checks for NIfTI files and the volumes read from them.
// ITK 5.2's NIfTI reader (niftilib) zero-fills the missing tail of a truncated .nii/.nii.gz
// without an error, so a copy cut short by a killed job would be read as an image with a black
// bottom. read_image's ITK path calls check_nifti_complete first.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "io/nifti_header.h"
#include "io/volume.h"

namespace unetx::io {

// Throws unetx::Error(path, "cannot read image: truncated NIfTI file ...") when a NIfTI-1/2
// file (.nii, .nii.gz) holds fewer bytes than its header promises, or its gzip stream is
// corrupt. O(1) for intact files (gzip trailer length); decompresses only when that disagrees.
// Files that are not NIfTI, or whose header it cannot parse, are left to ITK.
// Also applies check_nifti_header.
void check_nifti_complete(const std::filesystem::path& path);

// Throws unetx::Error(file, "cannot read image: invalid voxel spacing in header (pixdim[i] =
// v)") when a spatial pixdim (1..min(3, dim[0])) is zero, negative or not finite: niftilib would
// silently replace it by 1 (zero) or keep a negative spacing ITK cannot use.
void check_nifti_header(const NiftiHeader& header, const std::string& file);

}  // namespace unetx::io
