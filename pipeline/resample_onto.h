// Nearest-neighbour transfer of a label map onto another voxel grid (any origin, direction and
// spacing): each target voxel takes the value of the source voxel whose centre is nearest to its
// physical position, 0 where that falls outside the source. Used by evaluate when a prediction
// was written on another grid than its reference and the user asked to resample it.
#pragma once

#include "io/volume.h"

namespace unetx::pipeline {

// source: (C, Z, Y, X) of any integer dtype. Returns (C, Z', Y', X') with (X', Y', Z') = size on
// `grid`, same dtype as the source.
io::Volume resample_onto_nearest(const io::Volume& source, const io::Geometry& grid,
                                 const io::Size3& size);

}  // namespace unetx::pipeline
