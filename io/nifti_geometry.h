// NIfTI header -> unetx Geometry (LPS), following ITK 5.2's NiftiImageIO so that a NIfTI-2 file
// (which ITK 5.2 cannot read) lands on the grid ITK would give the same header as NIfTI-1.
//
// Which affine ITK 5.2 uses (NiftiImageIO::SetImageIOOrientationFromNIfTI):
//  1. qform_code and sform_code both 0: origin 0, identity direction.
//  2. sform used when it matches the qform element by element (3x3 within 1e-5, offsets 1e-7),
//     or when its 3x3 is a rotation times a scaling (normalised columns orthonormal within
//     1e-4) and: the qform_code is 0, or the sform_code is 1 (SCANNER_ANAT), or both codes are
//     set and the two affines describe the same rotation, scaling and offset within 1e-4.
//  3. otherwise the qform if its code is set, else the file is refused (non-orthonormal).
// ITK compares the rotations through an SVD; unetx compares normalised columns and column norms,
// which agrees for every affine that is a rotation times a positive diagonal scaling (the only
// kind rule 2 lets through). Spacing is pixdim[1..3] scaled by the xyzt_units (m, mm, um).
// LPS = diag(-1, -1, 1) * RAS: origin = (-t_x, -t_y, t_z), direction columns = the affine's
// columns with x and y negated, normalised.
#pragma once

#include <string>

#include "io/nifti_header.h"
#include "io/volume.h"

namespace itk {
class ImageIOBase;
}

namespace unetx::io {

enum class NiftiTransform { kNone, kQform, kSform };

// Which of the header's affines ITK 5.2 picks (rules above). Throws unetx::Error(file, ...)
// when neither is usable.
NiftiTransform nifti_transform_choice(const NiftiHeader& header, const std::string& file);

// Geometry of the first min(3, dim[0]) axes as ITK 5.2 reports it (missing axes identity).
Geometry nifti_geometry(const NiftiHeader& header, const std::string& file);

const char* to_string(NiftiTransform transform);

// Geometry of the first (up to) 3 axes of an ImageIO after ReadImageInformation, as ITK reports
// it (any format); missing axes stay identity, and a degenerate direction becomes identity as
// itk::ImageFileReader does.
Geometry geometry_from_image_io(const itk::ImageIOBase& io);

}  // namespace unetx::io
