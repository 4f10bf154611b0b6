#include "io/nifti_header.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "io/file_name.h"

namespace unetx::io {
namespace {

// Reads a T at byte `offset`, reversing its bytes when the file's byte order is not ours.
template <typename T>
T load(const unsigned char* p, size_t offset, bool swap) {
  unsigned char b[sizeof(T)];
  std::memcpy(b, p + offset, sizeof(T));
  if (swap) std::reverse(b, b + sizeof(T));
  T v;
  std::memcpy(&v, b, sizeof(T));
  return v;
}

// niftilib replaces non-finite floats in the header by 0 before using them.
double finite_or_zero(double v) { return std::isfinite(v) ? v : 0.0; }

// ITK 5.2 reads a zero (or, through niftilib, non-finite) slope as 1 and still applies the
// intercept; the NIfTI text (and nibabel) would ignore both. unetx follows ITK so the two readers
// agree; such files are rare (a header with slope 0 and a non-zero intercept).
double itk_slope(double slope) {
  slope = finite_or_zero(slope);
  return slope == 0.0 ? 1.0 : slope;
}

// NIfTI-1: 348-byte header, fields at the nifti1::Offset positions.
NiftiHeader parse_v1(const unsigned char* h, bool swap) {
  using namespace nifti1;
  NiftiHeader r;
  r.version = 1;
  r.header_bytes = 348;
  r.single_file = h[kMagic + 1] == '+';
  for (int i = 0; i < 8; ++i) {
    r.dim[i] = load<int16_t>(h, kDim + 2 * i, swap);
    r.pixdim[i] = load<float>(h, kPixdim + 4 * i, swap);
  }
  r.intent_code = load<int16_t>(h, kIntentCode, swap);
  r.datatype = load<int16_t>(h, kDatatype, swap);
  r.bitpix = load<int16_t>(h, kBitpix, swap);
  const float offset = load<float>(h, kVoxOffset, swap);
  r.vox_offset = std::isfinite(offset) && offset > 0 ? static_cast<int64_t>(offset) : 0;
  r.scl_slope = itk_slope(load<float>(h, kSclSlope, swap));
  r.scl_inter = finite_or_zero(load<float>(h, kSclInter, swap));
  r.xyzt_units = h[kXyztUnits];
  r.qform_code = load<int16_t>(h, kQformCode, swap);
  r.sform_code = load<int16_t>(h, kSformCode, swap);
  r.quatern_b = load<float>(h, kQuatern, swap);
  r.quatern_c = load<float>(h, kQuatern + 4, swap);
  r.quatern_d = load<float>(h, kQuatern + 8, swap);
  for (int i = 0; i < 3; ++i) r.qoffset[i] = load<float>(h, kQoffset + 4 * i, swap);
  for (int row = 0; row < 3; ++row) {
    for (int c = 0; c < 4; ++c) r.srow[row][c] = load<float>(h, kSrow + 16 * row + 4 * c, swap);
  }
  return r;
}

// NIfTI-2 field offsets (nifti2.h): 540-byte header, magic at 4, 64-bit dims and doubles.
NiftiHeader parse_v2(const unsigned char* h, bool swap) {
  NiftiHeader r;
  r.version = 2;
  r.header_bytes = 540;
  r.single_file = h[5] == '+';
  r.datatype = load<int16_t>(h, 12, swap);
  r.bitpix = load<int16_t>(h, 14, swap);
  for (int i = 0; i < 8; ++i) {
    r.dim[i] = load<int64_t>(h, 16 + 8 * i, swap);
    r.pixdim[i] = load<double>(h, 104 + 8 * i, swap);
  }
  r.vox_offset = std::max<int64_t>(0, load<int64_t>(h, 168, swap));
  r.scl_slope = itk_slope(load<double>(h, 176, swap));
  r.scl_inter = finite_or_zero(load<double>(h, 184, swap));
  r.qform_code = load<int32_t>(h, 344, swap);
  r.sform_code = load<int32_t>(h, 348, swap);
  r.quatern_b = load<double>(h, 352, swap);
  r.quatern_c = load<double>(h, 360, swap);
  r.quatern_d = load<double>(h, 368, swap);
  for (int i = 0; i < 3; ++i) r.qoffset[i] = load<double>(h, 376 + 8 * i, swap);
  for (int row = 0; row < 3; ++row) {
    for (int c = 0; c < 4; ++c) r.srow[row][c] = load<double>(h, 400 + 32 * row + 8 * c, swap);
  }
  r.xyzt_units = load<int32_t>(h, 500, swap);
  r.intent_code = load<int32_t>(h, 504, swap);
  return r;
}

bool magic_is(const unsigned char* m, char version) {
  return m[0] == 'n' && (m[1] == '+' || m[1] == 'i') && m[2] == version && m[3] == '\0';
}

}  // namespace

std::optional<NiftiHeader> parse_nifti_header(const unsigned char* bytes, size_t n) {
  if (n < 4) return std::nullopt;
  for (bool swap : {false, true}) {
    const int32_t size = load<int32_t>(bytes, 0, swap);
    std::optional<NiftiHeader> h;
    if (size == 348 && n >= 348 && magic_is(bytes + 344, '1')) h = parse_v1(bytes, swap);
    if (size == 540 && n >= 540 && magic_is(bytes + 4, '2')) h = parse_v2(bytes, swap);
    if (!h) continue;
    if (h->dim[0] < 1 || h->dim[0] > 7) return std::nullopt;
    h->swapped = swap;
    return h;
  }
  return std::nullopt;
}

uint64_t NiftiHeader::voxel_count() const {
  uint64_t count = 1;
  for (int64_t i = 1; i <= dim[0] && i < 8; ++i) {
    // Saturates instead of wrapping, so a corrupt NIfTI-2 extent cannot look small.
    if (__builtin_mul_overflow(count, static_cast<uint64_t>(std::max<int64_t>(1, dim[i])),
                               &count)) {
      return UINT64_MAX;
    }
  }
  return count;
}

int NiftiHeader::bytes_per_voxel() const {
  switch (datatype) {
    case 2:    // uint8
    case 256:  // int8
      return 1;
    case 4:    // int16
    case 512:  // uint16
      return 2;
    case 8:    // int32
    case 16:   // float32
    case 768:  // uint32
      return 4;
    case 64:    // float64
    case 1024:  // int64
    case 1280:  // uint64
      return 8;
    default:  // complex, RGB, float128: left to ITK (or refused)
      return 0;
  }
}

uint64_t NiftiHeader::data_offset() const {
  if (!single_file) return static_cast<uint64_t>(vox_offset);
  return static_cast<uint64_t>(std::max<int64_t>(vox_offset, header_bytes));
}

bool NiftiHeader::must_rescale() const {
  const double eps = std::numeric_limits<double>::epsilon();
  return std::abs(scl_slope - 1.0) > eps || std::abs(scl_inter) > eps;
}

std::string nifti_type_name(int datatype) {
  switch (datatype) {
    case 2:
      return "uint8";
    case 256:
      return "int8";
    case 4:
      return "int16";
    case 512:
      return "uint16";
    case 8:
      return "int32";
    case 768:
      return "uint32";
    case 1024:
      return "int64";
    case 1280:
      return "uint64";
    case 16:
      return "float32";
    case 64:
      return "float64";
    default:
      return "datatype " + std::to_string(datatype);
  }
}

std::optional<NiftiHeader> read_nifti_header_file(const std::filesystem::path& path) {
  if (!has_suffix(path, ".nii") && !has_suffix(path, ".nii.gz") && !has_suffix(path, ".hdr")) {
    return std::nullopt;
  }
  unsigned char head[540] = {};
  int got = 0;
  if (gzFile f = gzopen(path.c_str(), "rb")) {  // gzread reads uncompressed files as they are
    got = gzread(f, head, sizeof head);
    gzclose(f);
  }
  return parse_nifti_header(head, got > 0 ? static_cast<size_t>(got) : 0);
}

}  // namespace unetx::io
