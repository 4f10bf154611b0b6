// Volume -> DICOM image series through DCMTK: one single-frame CT or MR file per z slice.
//
// Used by `synth` to export phantoms as DICOM and by the tests, which need DICOM series with a
// known geometry and known values (shuffled file names, oblique orientations, missing slices).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "io/volume.h"

namespace unetx::io {

namespace fs = std::filesystem;

// Transfer syntax of the written files. Compressed ones use DCMTK's encoders (all lossless).
enum class DicomTransferSyntax {
  kExplicitLittle,  // 1.2.840.10008.1.2.1 (default)
  kImplicitLittle,  // 1.2.840.10008.1.2
  kExplicitBig,     // 1.2.840.10008.1.2.2 (retired, still met in archives)
  kDeflated,        // 1.2.840.10008.1.2.1.99
  kRle,             // 1.2.840.10008.1.2.5
  kJpegLsLossless,  // 1.2.840.10008.1.2.4.80
  kJpegLossless,    // 1.2.840.10008.1.2.4.70 (process 14, selection value 1)
};

struct DicomExportOptions {
  std::string modality = "CT";  // "CT" (CT Image Storage) or "MR" (MR Image Storage)
  // Empty: a fresh UID is generated per call (dcmGenerateUniqueIdentifier).
  std::string study_uid;
  std::string series_uid;
  std::string frame_of_reference_uid;
  // Dummy identity written into the files; never a real patient's.
  std::string patient_name = "ANONYMOUS";
  std::string patient_id = "ANONYMOUS";
  std::string series_description = "unetx export";
  DicomTransferSyntax transfer_syntax = DicomTransferSyntax::kExplicitLittle;
  // File names are "slice_<k>.dcm" with k = z (zero-padded). With scramble_names, k is a
  // seeded permutation of z, so a reader that sorts by file name gets the order wrong.
  bool scramble_names = false;
  unsigned scramble_seed = 1;
  // InstanceNumber normally counts z from 1; with scramble_instance_numbers it follows the
  // scrambled file order too (tests prove sorting is geometric, not by InstanceNumber).
  bool scramble_instance_numbers = false;
};

// Writes a C == 1 volume as one file per z slice into `folder` (created if missing) and
// returns the paths in z order. Each file is written atomically (temporary name + rename).
//
// Geometry (LPS): ImagePositionPatient of slice z = origin + direction * diag(spacing) *
// (0, 0, z); ImageOrientationPatient = the first two direction columns (x axis = along a row,
// y axis = down a column); PixelSpacing = y\x spacing; SliceThickness and
// SpacingBetweenSlices = z spacing. The z axis need not be the cross product of x and y
// (a left-handed direction is written as is; the positions carry the order).
//
// Values: stored as int16 (BitsAllocated 16, PixelRepresentation 1). Integer volumes whose
// range fits int16 are stored as is (slope 1, intercept 0). Other volumes (float, or integers
// out of range) get slope = (max - min) / 65000 (headroom below the int16 range) and intercept
// = the midpoint, so every value round-trips within half a slope.
//
// Throws unetx::Error(folder or file, reason) for C != 1, an empty volume, an encoder that
// is unavailable, or a write failure.
std::vector<fs::path> write_dicom_series(const Volume& volume, const fs::path& folder,
                                         const DicomExportOptions& options = {});

}  // namespace unetx::io
