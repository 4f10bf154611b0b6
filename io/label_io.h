// Label maps for a known image: whatever the format, the result sits on the image's grid.
#pragma once

#include <filesystem>

#include "io/volume.h"

namespace unetx::io {

namespace fs = std::filesystem;

// Reads the label file `path` for `image`. A DICOM SEG (is_dicom_seg_file) is mapped onto the
// image's grid frame by frame (read_dicom_seg with image.geometry and image.size()); any other
// file goes through read_image and keeps its own grid (callers compare it with the image's and
// report a mismatch in their own terms). Throws unetx::Error naming `path`.
Volume read_label(const fs::path& path, const Volume& image);

}  // namespace unetx::io
