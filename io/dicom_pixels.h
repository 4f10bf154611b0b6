// Pixel data of one DICOM instance -> stored values, frame by frame.
//
// Compressed transfer syntaxes are decoded by DCMTK's registered codecs (JPEG baseline,
// extended, lossless; JPEG-LS; RLE) into explicit little endian; deflate and big endian are
// undone by DCMTK's parser. JPEG 2000, which DCMTK cannot decode, goes through ITK's
// GDCMImageIO. Values are then unpacked by hand from the raw bytes (not through DicomImage,
// whose display pipeline would window and scale them).
#pragma once

#include <dcmtk/dcmdata/dcfilefo.h>

#include <string>

#include "io/dicom_instance.h"

namespace unetx::io {

// ATen dtype that holds every stored value of `h` exactly: 8 bits -> uint8/int8, 16 bits
// signed -> int16, unsigned 16 bits with BitsStored <= 15 -> int16, other unsigned 16 bits
// -> int32, 32 bits signed -> int32, unsigned -> int64.
at::ScalarType stored_dtype(const DicomInstanceHeader& h);

// On-disk name of the stored type, as image_io names pixel types ("uint16", "int16", ...).
std::string stored_type_name(const DicomInstanceHeader& h);

// Decodes all frames of `file` (fully loaded, header in `h`) to a tensor (frames, samples,
// rows, columns) of dtype stored_dtype(h). Bits outside BitsStored are masked off and signed
// values sign-extended from bit BitsStored-1 (after shifting HighBit down to BitsStored-1).
// MONOCHROME1 is inverted so that higher means brighter, as in MONOCHROME2, within the stored
// range [lo, hi] (unsigned: [0, 2^BitsStored - 1], signed: [-2^(BitsStored-1),
// 2^(BitsStored-1) - 1]): v' = lo + hi - v. Because the rescale is linear, inverting stored
// values equals inverting the rescaled range. Photometric interpretations other than
// MONOCHROME1/2 and RGB (after decompression) are refused.
// Throws unetx::Error(path, reason): truncated pixel data (expected/found bytes),
// undecodable transfer syntax (named), unsupported colour model.
at::Tensor decode_frames(DcmFileFormat& file, DicomInstanceHeader& h);

// decode_frames in two steps, so that a series can decode its files on several threads and
// unpack each frame straight into its slice of the volume.
// True when only the GDCM fallback decodes `file` (JPEG 2000); GDCM is not thread-safe, so
// such files go through decode_frames on one thread.
bool needs_gdcm(DcmFileFormat& file);

// The stored bytes of every frame of a (non-GDCM) file in native little endian: BitsAllocated
// wide values, frames one after another. Points into the DcmFileFormat it came from.
struct DicomPixelBytes {
  const Uint8* bytes = nullptr;
  bool swap_halves = false;  // 32-bit values of a big-endian file (see decode_frames)
};

// First step: decompresses the pixel data (DCMTK codecs), rereads PhotometricInterpretation
// and PlanarConfiguration into `h` and checks the length. Throws as decode_frames does.
DicomPixelBytes prepare_pixels(DcmFileFormat& file, DicomInstanceHeader& h);

// Second step for one frame of a one-sample image: its rows x columns stored values, masked,
// sign-extended and MONOCHROME1-inverted exactly as decode_frames does, written to `dst`
// (rows * columns values of stored_dtype(h), contiguous).
void unpack_frame(const DicomPixelBytes& pixels, const DicomInstanceHeader& h, int frame,
                  void* dst);

// Second step for every frame: what decode_frames returns, (frames, samples, rows, columns).
at::Tensor unpack_frames(const DicomPixelBytes& pixels, const DicomInstanceHeader& h);

}  // namespace unetx::io
