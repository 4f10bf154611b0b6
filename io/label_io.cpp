#include "io/label_io.h"

#include "io/dicom_seg.h"
#include "io/image_io.h"

namespace unetx::io {

Volume read_label(const fs::path& path, const Volume& image) {
  if (is_dicom_seg_file(path)) return read_dicom_seg(path, image.geometry, image.size());
  return read_image(path);
}

}  // namespace unetx::io
