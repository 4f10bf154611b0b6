// Completeness check for NIfTI files. ITK 5.2's NIfTI reader (niftilib) zero-fills the missing
// tail of a truncated .nii/.nii.gz without an error, so a copy cut short by a killed job would
// be read as an image with a black bottom. read_image calls this first.
#pragma once

#include <filesystem>

namespace unetx::io {

// Throws unetx::Error(path, "cannot read image: truncated NIfTI file ...") when a NIfTI-1/2
// file (.nii, .nii.gz) holds fewer bytes than its header promises, or its gzip stream is
// corrupt. O(1) for intact files (gzip trailer length); decompresses only when that disagrees.
// Files that are not NIfTI, or whose header it cannot parse, are left to ITK.
void check_nifti_complete(const std::filesystem::path& path);

}  // namespace unetx::io
