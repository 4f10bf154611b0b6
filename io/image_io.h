// Image files <-> Volume: NIfTI (.nii, .nii.gz, .hdr/.img), MetaImage (.mha, .mhd), NRRD (.nrrd,
// .nhdr) and whatever else the linked ITK IO modules read, and DICOM (a file, or a folder holding
// one series: io/dicom_series.h), so every command takes any of them as an image.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "io/volume.h"

namespace unetx::io {

namespace fs = std::filesystem;

// Reads one image file, keeping its pixel type: uint8 -> kByte, int8 -> kChar, int16 -> kShort,
// uint16 and int32 -> kInt, uint32/int64/uint64 -> kLong, float and double -> kFloat.
// data is (C, Z, Y, X): a 2-D image has Z = 1; the 4th axis of a 4-D image and the components
// of vector/RGB pixels become channels. Geometry is ITK's for the first 3 axes (LPS).
// meta["pixel_type"] is the on-disk component type ("uint8", "int16", "float32", ...).
// Throws unetx::Error(path, reason) for a missing, unreadable or unsupported file.
// Single-file NIfTI-1/2 (.nii, .nii.gz) goes through unetx's own decoder (io/nifti_reader.h:
// libdeflate, bit-identical to ITK for NIfTI-1, and NIfTI-2 which ITK 5.2 cannot read);
// everything else through ITK. NIfTI scaling (scl_slope/scl_inter) is applied as ITK 5.2 does:
// scaled integer data becomes float32 (see nifti_reader.h for the exact rule and metadata).
// A folder, a *.dcm file or an extension-less file that starts like DICOM is read with
// read_dicom (which logs its warnings). Zero, negative or non-finite spacing is refused.
// NaN/Inf voxels are read as they are; see find_bad_voxels (io/image_check.h).
Volume read_image(const fs::path& path);

// The same through ITK's ImageIO only (NIfTI completeness check included, no fast path): the
// reference read_image's NIfTI decoder is tested against and bench_io compares with.
// Cannot read NIfTI-2 (ITK 5.2).
Volume read_image_itk(const fs::path& path);

// Reads one file per channel and stacks them along C (dtypes promoted to a common type).
// Throws unetx::Error naming the offending file when its grid differs from the first file's.
Volume read_channels(const std::vector<fs::path>& paths);

// Writes `volume` atomically (temporary name + rename). dtype kByte/kBool -> uint8,
// kShort -> int16, kInt -> int32, kFloat -> float32, anything else -> float32. C == 1 writes a
// 3-D image, C > 1 a 4-D image (4th axis: spacing 1, origin 0, identity direction) so
// multi-class probability maps fit one file. The format follows the extension; multi-file
// formats (.hdr/.img, .mhd, .nhdr) are refused because their parts cannot be renamed as one.
// Throws unetx::Error naming the file.
// .nii and .nii.gz are written by unetx's NIfTI-1 writer (io/nifti_writer.h: ITK's header,
// gzip in parallel-decodable blocks), every other format by ITK.
void write_image(const Volume& volume, const fs::path& path);

// The same through ITK's writer only (one zlib stream for .nii.gz): the reference the NIfTI
// writer is tested against and bench_io compares with.
void write_image_itk(const Volume& volume, const fs::path& path);

// Name of an ATen dtype as an image pixel type ("uint8", "int16", "int32", "float32", ...).
std::string dtype_name(at::ScalarType type);

}  // namespace unetx::io
