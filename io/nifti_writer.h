// unetx's own NIfTI-1 writer for single-file images (.nii, .nii.gz).
//
// Why not ITK's: ITK 5.2 compresses .nii.gz as one zlib stream at its default level on one
// thread, which is most of the time `predict` spends writing a probability map, and such a
// stream can only be inflated by one thread. This writer compresses in BGZF blocks on every
// intra-op thread (io/gzip_blocks.h), and unetx reads those files back in parallel. Every other
// gzip reader (ITK, nibabel, FSL, gzip -d) reads them as ordinary gzip.
//
// The header is the one ITK 5.2 writes for the same image (tests compare the two field by
// field): NIfTI-1 "n+1", vox_offset 352, units mm, qform and sform both set with code 1
// (scanner), the sform holding the exact affine and the qform its rotation as a quaternion
// (qfac = pixdim[0] = -1 for a left-handed grid). Geometry is converted from unetx's LPS to
// NIfTI's RAS by negating x and y. A volume with C > 1 channels is written 4-D (dim[4] = C,
// pixdim[4] = 1), as ITK writes it.
#pragma once

#include <ATen/ATen.h>

#include <array>
#include <filesystem>

#include "io/volume.h"

namespace unetx::io {

// The 352 bytes before the voxels (348-byte header + 4 zero extension bytes) for `data`
// ((C, Z, Y, X), dtype uint8, int16, int32 or float32) on `geometry`. Throws unetx::Error
// naming `name` for another dtype, a size beyond NIfTI-1's int16 dims, or a direction that is
// not a rotation (columns orthonormal within 1e-4).
std::array<unsigned char, 352> nifti1_header(const at::Tensor& data, const Geometry& geometry,
                                             const std::string& name);

// Writes `data` (contiguous, CPU, one of the dtypes above) as NIfTI-1 to `file`, gzip-blocked
// when `compress`. Not atomic by itself: write_image (io/image_io.h) passes a temporary name.
// Throws unetx::Error naming `name` on failure.
void write_nifti(const at::Tensor& data, const Geometry& geometry, const std::filesystem::path& file,
                 bool compress, const std::string& name);

}  // namespace unetx::io
