// Sanity checks on a volume read from any format, for callers to turn into a per-case failure:
// a broken spacing, non-finite voxels, or a single slice where a volume is expected.
#pragma once

#include <optional>
#include <string>

#include "io/volume.h"

namespace unetx::io {

// Throws unetx::Error(file, "invalid voxel spacing ...") unless every spacing is finite and > 0.
void check_spacing(const Geometry& geometry, const std::string& file);

// "3 NaN and 1 Inf voxels" when floating-point data holds non-finite values; nullopt when all
// are finite (integer data always is).
std::optional<std::string> find_bad_voxels(const Volume& volume);

// Throws unetx::Error(file, "is a 2-D image (AxB voxels, 1 slice); a 3-D volume is expected")
// when the volume has a single slice.
void require_3d(const Volume& volume, const std::string& file);

}  // namespace unetx::io
