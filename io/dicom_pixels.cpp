#include "io/dicom_pixels.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <cstring>
#include <vector>

#include "io/dicom_codecs.h"
#include "io/dicom_gdcm.h"
#include "io/error.h"

namespace unetx::io {
namespace {

bool is_jpeg2000(E_TransferSyntax xfer) {
  return xfer == EXS_JPEG2000LosslessOnly || xfer == EXS_JPEG2000 ||
         xfer == EXS_JPEG2000MulticomponentLosslessOnly || xfer == EXS_JPEG2000Multicomponent;
}

// Brings the pixel data to native little endian in memory (decoding compressed data).
void make_native(DcmDataset& ds, const DicomInstanceHeader& h) {
  const DcmXfer xfer(ds.getOriginalXfer());
  if (!xfer.isEncapsulated()) return;
  register_dicom_codecs();
  const OFCondition status = ds.chooseRepresentation(EXS_LittleEndianExplicit, nullptr);
  if (status.bad() || !ds.canWriteXfer(EXS_LittleEndianExplicit)) {
    throw Error(h.path.string(), std::string("cannot decode transfer syntax ") +
                                     xfer.getXferName() + " (" + xfer.getXferID() +
                                     "): " + status.text());
  }
}

// The value bytes of PixelData as a little-endian stream (DCMTK keeps OW in host order; unetx
// builds only for little-endian hosts).
const Uint8* pixel_bytes(DcmDataset& ds, const DicomInstanceHeader& h, size_t* length) {
  DcmElement* element = nullptr;
  if (ds.findAndGetElement(DCM_PixelData, element).bad() || element == nullptr) {
    throw Error(h.path.string(), "no pixel data");
  }
  if (element->loadAllDataIntoMemory().bad()) {
    throw Error(h.path.string(), "cannot read the pixel data");
  }
  Uint16* words = nullptr;
  Uint8* bytes = nullptr;
  if (element->getVR() == EVR_OW && element->getUint16Array(words).good()) {
    bytes = reinterpret_cast<Uint8*>(words);
  } else if (element->getUint8Array(bytes).bad()) {
    if (element->getUint16Array(words).bad()) {
      throw Error(h.path.string(), "cannot access the pixel data");
    }
    bytes = reinterpret_cast<Uint8*>(words);
  }
  *length = bytes == nullptr ? 0 : element->getLength();
  return bytes;
}

// Stored range of the pixel type, for MONOCHROME1 inversion.
void stored_range(const DicomInstanceHeader& h, int64_t* lo, int64_t* hi) {
  if (h.is_signed) {
    *lo = -(int64_t{1} << (h.bits_stored - 1));
    *hi = (int64_t{1} << (h.bits_stored - 1)) - 1;
  } else {
    *lo = 0;
    *hi = (int64_t{1} << h.bits_stored) - 1;
  }
}

// Unpacks `count` little-endian values of `Raw` (BitsAllocated wide) into `out` (the stored
// dtype), keeping BitsStored bits below HighBit and sign-extending them. A loop per type so the
// compiler vectorizes it: this runs once per voxel of every DICOM series.
template <typename Raw, typename Out>
void unpack_as(const Uint8* bytes, int64_t count, const DicomInstanceHeader& h, Out* dst) {
  const int shift = h.high_bit + 1 - h.bits_stored;
  const int64_t mask = h.bits_stored >= 63 ? -1 : (int64_t{1} << h.bits_stored) - 1;
  const int64_t sign = int64_t{1} << (h.bits_stored - 1);
  const auto value = [&](int64_t i) {
    Raw raw;
    std::memcpy(&raw, bytes + i * static_cast<int64_t>(sizeof(Raw)), sizeof(Raw));
    return static_cast<int64_t>(raw >> shift) & mask;
  };
  if (h.is_signed) {
    for (int64_t i = 0; i < count; ++i) dst[i] = static_cast<Out>((value(i) ^ sign) - sign);
  } else {
    for (int64_t i = 0; i < count; ++i) dst[i] = static_cast<Out>(value(i));
  }
}

// Writes `count` stored values as stored_dtype(h) to `dst`. swap_halves: 32-bit values whose
// two 16-bit halves are in big-endian order (see decode_frames).
void unpack_into(const Uint8* bytes, int64_t count, const DicomInstanceHeader& h, bool swap_halves,
                 void* dst) {
  if (swap_halves) {
    std::vector<uint32_t> fixed(static_cast<size_t>(count));
    std::memcpy(fixed.data(), bytes, fixed.size() * 4);
    for (uint32_t& v : fixed) v = (v << 16) | (v >> 16);
    unpack_into(reinterpret_cast<const Uint8*>(fixed.data()), count, h, false, dst);
    return;
  }
  switch (stored_dtype(h)) {
    case at::kByte:
      unpack_as<uint8_t>(bytes, count, h, static_cast<uint8_t*>(dst));
      break;
    case at::kChar:
      unpack_as<uint8_t>(bytes, count, h, static_cast<int8_t*>(dst));
      break;
    case at::kShort:
      unpack_as<uint16_t>(bytes, count, h, static_cast<int16_t*>(dst));
      break;
    case at::kInt:
      if (h.bits_allocated == 16) {
        unpack_as<uint16_t>(bytes, count, h, static_cast<int32_t*>(dst));
      } else {
        unpack_as<uint32_t>(bytes, count, h, static_cast<int32_t*>(dst));
      }
      break;
    default:
      unpack_as<uint32_t>(bytes, count, h, static_cast<int64_t*>(dst));
      break;
  }
}

// MONOCHROME1 -> higher is brighter, within the stored range (values of stored_dtype(h)).
at::Tensor invert_monochrome1(const at::Tensor& values, const DicomInstanceHeader& h) {
  int64_t lo = 0, hi = 0;
  stored_range(h, &lo, &hi);
  return (lo + hi) - values;
}

// Rereads what decompression may have changed (DCMTK converts YBR JPEG to RGB and decodes RLE
// colour to planar order) and refuses colour models unetx does not read.
void refresh_photometric(DcmDataset& ds, DicomInstanceHeader& h) {
  OFString photometric;
  if (ds.findAndGetOFString(DCM_PhotometricInterpretation, photometric).good()) {
    h.photometric = photometric.c_str();
  }
  Uint16 planar = 0;
  if (ds.findAndGetUint16(DCM_PlanarConfiguration, planar).good()) h.planar_configuration = planar;
  const bool mono = h.photometric == "MONOCHROME1" || h.photometric == "MONOCHROME2";
  if ((mono && h.samples == 1) || (h.photometric == "RGB" && h.samples == 3)) return;
  throw Error(h.path.string(), "unsupported photometric interpretation '" + h.photometric +
                                   "' with " + std::to_string(h.samples) +
                                   " samples per pixel (unetx reads MONOCHROME1/2 and RGB)");
}

}  // namespace

at::ScalarType stored_dtype(const DicomInstanceHeader& h) {
  switch (h.bits_allocated) {
    case 8:
      return h.is_signed ? at::kChar : at::kByte;
    case 16:
      return h.is_signed || h.bits_stored <= 15 ? at::kShort : at::kInt;
    default:
      return h.is_signed ? at::kInt : at::kLong;
  }
}

std::string stored_type_name(const DicomInstanceHeader& h) {
  return (h.is_signed ? "int" : "uint") + std::to_string(h.bits_allocated);
}

bool needs_gdcm(DcmFileFormat& file) { return is_jpeg2000(file.getDataset()->getOriginalXfer()); }

DicomPixelBytes prepare_pixels(DcmFileFormat& file, DicomInstanceHeader& h) {
  DcmDataset& ds = *file.getDataset();
  make_native(ds, h);
  refresh_photometric(ds, h);
  size_t length = 0;
  DicomPixelBytes pixels;
  pixels.bytes = pixel_bytes(ds, h, &length);
  const size_t expected =
      static_cast<size_t>(h.rows) * h.columns * h.samples * h.frames * (h.bits_allocated / 8);
  if (pixels.bytes == nullptr || length < expected) {
    throw Error(h.path.string(), "pixel data truncated (expected " + std::to_string(expected) +
                                     " bytes, found " + std::to_string(length) + ")");
  }
  // DCMTK swaps OW data of a big-endian file as 16-bit words; 32-bit values then still
  // have their two halves in big-endian order.
  pixels.swap_halves = h.bits_allocated == 32 && DcmXfer(ds.getOriginalXfer()).isBigEndian();
  return pixels;
}

void unpack_frame(const DicomPixelBytes& pixels, const DicomInstanceHeader& h, int frame,
                  void* dst) {
  const int64_t count = int64_t{h.rows} * h.columns;
  const Uint8* bytes = pixels.bytes + frame * count * (h.bits_allocated / 8);
  unpack_into(bytes, count, h, pixels.swap_halves, dst);
  if (h.photometric == "MONOCHROME1") {
    at::Tensor values = at::from_blob(dst, {count}, stored_dtype(h));
    values.copy_(invert_monochrome1(values, h));
  }
}

at::Tensor unpack_frames(const DicomPixelBytes& pixels, const DicomInstanceHeader& h) {
  const int64_t count = int64_t{h.rows} * h.columns * h.samples * h.frames;
  at::Tensor values = at::empty({count}, stored_dtype(h));
  unpack_into(pixels.bytes, count, h, pixels.swap_halves, values.data_ptr());
  if (h.samples > 1 && h.planar_configuration == 0) {
    values = values.view({h.frames, h.rows, h.columns, h.samples}).permute({0, 3, 1, 2});
  } else {
    values = values.view({h.frames, h.samples, h.rows, h.columns});
  }
  if (h.photometric == "MONOCHROME1") values = invert_monochrome1(values, h);
  return values.contiguous();
}

at::Tensor decode_frames(DcmFileFormat& file, DicomInstanceHeader& h) {
  if (!needs_gdcm(file)) return unpack_frames(prepare_pixels(file, h), h);
  at::Tensor values = decode_with_gdcm(h);  // (frames, samples, rows, columns) already
  if (h.photometric == "MONOCHROME1") values = invert_monochrome1(values, h);
  return values.to(stored_dtype(h)).contiguous();
}

}  // namespace unetx::io
