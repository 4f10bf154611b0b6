// Slice geometry of a DICOM series: which frame goes to which z, and the Geometry of the
// stack, from ImagePositionPatient/ImageOrientationPatient/PixelSpacing alone (never from file
// names or InstanceNumber).
#pragma once

#include <string>
#include <vector>

#include "io/dicom_instance.h"
#include "io/volume.h"

namespace unetx::io {

struct DicomStack {
  // origin = first slice's position; direction columns = row cosine, column cosine and their
  // cross product (the normal), so the stack is always right-handed; spacing = (PixelSpacing[1],
  // PixelSpacing[0], median step between positions along the normal).
  Geometry geometry;
  // Per z: the index of the frame in the input, or -1 for a slice missing from the series
  // (inserted to keep the grid regular; the caller fills it).
  std::vector<int> source;
  std::vector<std::string> warnings;
};

// Orders `frames` along the normal. Problems:
//  - mixed orientations or pixel spacings, duplicate positions, positions on some frames
//    only: unetx::Error(subject, reason);
//  - a gap of about k >= 2 median steps: k - 1 missing slices inserted (source -1), with a
//    warning naming the positions;
//  - other steps off the median by more than 1% (or 0.001 mm): warning naming the steps,
//    and the median is used;
//  - no positions at all: frames kept in their input order, spacing = SpacingBetweenSlices,
//    else SliceThickness, else 1 mm, with a warning when there is more than one frame.
DicomStack plan_stack(const std::vector<DicomFrameInfo>& frames, const std::string& subject,
                      double spacing_between_slices);

}  // namespace unetx::io
