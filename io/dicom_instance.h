// What unetx needs from the header of one DICOM image instance, per frame: where the frame
// lies, how its pixels are laid out and how stored values become modality values. Filled from
// the classic image modules, from the functional groups of enhanced multi-frame objects
// (per-frame first, then shared), and from RT Dose's GridFrameOffsetVector/DoseGridScaling.
#pragma once

#include <dcmtk/dcmdata/dcdatset.h>

#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include "io/volume.h"

namespace unetx::io {

namespace fs = std::filesystem;

struct DicomFrameInfo {
  bool has_position = false;
  Vec3 position{0, 0, 0};  // ImagePositionPatient (mm, LPS): centre of the first voxel
  bool has_orientation = false;
  std::array<double, 6> orientation{1, 0, 0, 0, 1, 0};  // row cosine (x), column cosine (y)
  bool has_spacing = false;
  double spacing_x = 1.0;  // PixelSpacing[1]: between columns
  double spacing_y = 1.0;  // PixelSpacing[0]: between rows
  double thickness = 0.0;  // SliceThickness, 0 when absent
  double slope = 1.0;      // RescaleSlope (or DoseGridScaling)
  double intercept = 0.0;  // RescaleIntercept
};

struct DicomInstanceHeader {
  fs::path path;
  std::string sop_class_uid, sop_instance_uid;
  std::string study_uid, series_uid, frame_of_reference_uid, modality;
  std::string transfer_syntax_uid;
  int rows = 0, columns = 0, frames = 1, samples = 1;
  int bits_allocated = 0, bits_stored = 0, high_bit = 0;
  bool is_signed = false;
  int planar_configuration = 0;         // 0: samples interleaved per pixel; 1: one plane per sample
  std::string photometric;              // e.g. MONOCHROME2, MONOCHROME1, RGB
  double spacing_between_slices = 0.0;  // SpacingBetweenSlices, 0 when absent
  std::vector<DicomFrameInfo> frame;    // `frames` entries
};

// Reads the image attributes of `dataset` (pixel data need not be loaded). Throws
// unetx::Error(path, reason) when an attribute needed to read the pixels is missing or invalid.
DicomInstanceHeader read_instance_header(DcmDataset& dataset, const fs::path& path,
                                         const std::string& transfer_syntax_uid);

// Why `dataset` is not an image unetx reads (no pixel data, or a SOP class of a non-image
// object: SR, RT structure set/plan, presentation state, SEG, waveform, ...); empty for images.
std::string non_image_reason(DcmDataset& dataset);

}  // namespace unetx::io
