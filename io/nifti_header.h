// The fields of a NIfTI-1 (348-byte) or NIfTI-2 (540-byte) header that reading voxels needs,
// decoded from raw bytes in either byte order into one version-independent struct.
//
// unetx parses the header itself instead of asking ITK because ITK 5.2's NiftiImageIO exposes
// neither the byte order, vox_offset, the on-disk datatype nor exact scl_slope/scl_inter (its
// metadata dictionary holds them as strings rounded to 6 digits), and it cannot read NIfTI-2
// at all. The formulas follow the public NIfTI-1/NIfTI-2 format documents (nifti1.h, nifti2.h).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace unetx::io {

// Byte offsets of the NIfTI-1 header fields unetx reads and writes (nifti1.h), shared by the
// parser below and the writer (io/nifti_writer.h).
namespace nifti1 {
enum Offset : size_t {
  kSizeofHdr = 0,
  kRegular = 38,
  kDim = 40,           // int16[8]
  kIntentCode = 68,
  kDatatype = 70,
  kBitpix = 72,
  kPixdim = 76,        // float[8]
  kVoxOffset = 108,
  kSclSlope = 112,
  kSclInter = 116,
  kXyztUnits = 123,
  kQformCode = 252,
  kSformCode = 254,
  kQuatern = 256,      // b, c, d, then qoffset x, y, z (float)
  kQoffset = 268,
  kSrow = 280,         // srow_x, srow_y, srow_z: float[4] each
  kMagic = 344,
};
}  // namespace nifti1

struct NiftiHeader {
  int version = 1;          // 1 or 2
  bool swapped = false;     // stored in the other byte order than this machine's
  bool single_file = true;  // magic "n+1"/"n+2" (.nii); false for "ni1"/"ni2" (.hdr/.img pair)
  int64_t header_bytes = 348;
  std::array<int64_t, 8> dim{};    // dim[0] = number of dimensions, dim[1..7] extents
  std::array<double, 8> pixdim{};  // pixdim[0] = qfac, pixdim[1..3] spacing in xyzt_units
  int datatype = 0;                // NIFTI_TYPE_* code
  int bitpix = 0;
  int64_t vox_offset = 0;  // byte offset of the voxels in the .nii / .img
  double scl_slope = 1, scl_inter = 0;
  int qform_code = 0, sform_code = 0;
  double quatern_b = 0, quatern_c = 0, quatern_d = 0;
  std::array<double, 3> qoffset{};
  std::array<std::array<double, 4>, 3> srow{};  // sform rows (RAS, mm)
  int intent_code = 0;
  int xyzt_units = 0;

  // Voxel count over dim[1..dim[0]] (extents < 1 count as 1, as niftilib does); UINT64_MAX
  // when the product overflows.
  uint64_t voxel_count() const;
  // Bytes per voxel from the datatype; 0 for a datatype unetx does not decode.
  int bytes_per_voxel() const;
  // Offset of the first voxel: vox_offset, but never inside the header of a single file.
  uint64_t data_offset() const;
  // True when ITK would apply the scaling: (slope, inter) is not (1, 0). scl_slope already holds
  // ITK's reading (0 or non-finite -> 1; see nifti_header.cpp).
  bool must_rescale() const;
};

// Parses `n` bytes starting at a NIfTI header. nullopt when the bytes are not a NIfTI-1/2
// header (no size/magic match), e.g. an Analyze 7.5 .hdr.
std::optional<NiftiHeader> parse_nifti_header(const unsigned char* bytes, size_t n);

// On-disk pixel type name of a NIFTI_TYPE_* code ("int16", "float32", ...; "datatype N" else).
std::string nifti_type_name(int datatype);

// The NIfTI header of a .nii, .nii.gz or .hdr file (its first 540 bytes, inflated when gzip);
// nullopt for other file names or when the bytes are not a NIfTI-1/2 header.
std::optional<NiftiHeader> read_nifti_header_file(const std::filesystem::path& path);

}  // namespace unetx::io
