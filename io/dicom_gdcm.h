// Fallback decoder for the transfer syntaxes DCMTK cannot decode (JPEG 2000): ITK's
// GDCMImageIO reads the file and unetx keeps only its pixel values.
#pragma once

#include <ATen/ATen.h>

#include "io/dicom_instance.h"

namespace unetx::io {

// Stored values of every frame of `h.path`, (frames, samples, rows, columns), int64.
// GDCMImageIO applies the rescale it finds; that is undone here, so the caller applies the
// rescale (per frame) exactly as for every other transfer syntax. Throws unetx::Error(path,
// "cannot decode transfer syntax ...") when GDCM cannot decode the file either.
at::Tensor decode_with_gdcm(DicomInstanceHeader& h);

}  // namespace unetx::io
