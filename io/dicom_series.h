// DICOM image series -> Volume through DCMTK.
//
// A folder tree is scanned, files are grouped into series by SeriesInstanceUID, and each image
// series is assembled into one Volume: slices ordered by ImagePositionPatient projected on the
// slice normal (never by file name or InstanceNumber), geometry from ImageOrientationPatient,
// PixelSpacing and the positions, Rescale Slope/Intercept applied. Non-image objects (SR,
// RTSTRUCT, presentation states, SEG) are skipped with a note.
//
// The DicomSeriesInfo kept beside the Volume is what a derived object (a DICOM SEG written by
// `predict --format dicom-seg`) needs to reference the images it was computed from.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "io/volume.h"

namespace unetx::io {

namespace fs = std::filesystem;

// One z slice of an assembled volume: the instance (and frame, for multi-frame objects) it
// came from, in volume order (z = 0 first).
struct DicomSliceRef {  // all empty for a slice inserted where the series had a gap
  std::string sop_class_uid;
  std::string sop_instance_uid;
  int frame = 0;  // 1-based frame number in a multi-frame instance; 0 for single-frame
};

// Identity of an assembled series (UIDs only: nothing patient-identifying is kept here).
struct DicomSeriesInfo {
  std::string study_uid;
  std::string series_uid;
  std::string frame_of_reference_uid;
  std::string modality;
  std::vector<DicomSliceRef> slices;  // one per z slice of the volume
  fs::path first_file;                // a file of the series: patient/study modules come from it
};

struct DicomFileHead;  // io/dicom_file_head.h

// One image series found by a scan: its files, not yet decoded.
struct DicomSeriesFiles {
  std::string series_uid;
  std::string modality;
  std::vector<fs::path> files;  // in scan order; assembly sorts them geometrically
  // What the scan parsed of each file (same order as `files`; may be empty, and an entry may be
  // null): the series read uses it instead of parsing the file again while the file is unchanged.
  std::vector<std::shared_ptr<const DicomFileHead>> heads;
};

struct DicomScan {
  std::vector<DicomSeriesFiles> series;  // image series, ordered by series UID
  std::vector<std::string> notes;        // "<file>: skipped, <why>" for non-image/unreadable files
};

// Scans `folder` recursively (a DICOMDIR is ignored: files are found by content, not by name).
// Throws unetx::Error(folder, ...) when the folder does not exist.
DicomScan scan_dicom_folder(const fs::path& folder);

// Reading policy (what read_dicom_series does with data that is not clean):
//  - values: Rescale Slope/Intercept (per frame for enhanced objects; DoseGridScaling for RT
//    Dose) applied, giving float32; without a rescale the stored type is kept (see
//    stored_dtype in dicom_pixels.h). MONOCHROME1 is inverted within the stored range so
//    higher = brighter, as in MONOCHROME2. RGB gives C = 3 (one channel per sample); other
//    colour models (YBR_* uncompressed, PALETTE COLOR) are refused.
//  - a missing slice (a gap of about k >= 2 median steps) is inserted as k - 1 slices filled
//    by linear interpolation of their neighbours, with a warning naming the positions; its
//    DicomSliceRef is empty (no instance to reference).
//  - uneven steps: warning naming the steps; the median step is used.
//  - mixed orientations, pixel spacings or sizes, duplicate positions: unetx::Error.
//  - frames without any ImagePositionPatient (secondary capture): file order, identity
//    direction, spacing from SpacingBetweenSlices/SliceThickness/1 mm.
//  - JPEG 2000 is decoded by ITK's GDCMImageIO (DCMTK has no decoder for it).
struct DicomVolume {
  Volume volume;  // (C, Z, Y, X): C = 1, or 3 for RGB; float32 when a rescale is not the
                  // identity, else the stored type. meta: format, pixel_type, modality,
                  // series_uid, study_uid, frame_of_reference_uid, sop_class_uid,
                  // transfer_syntax, photometric, bits_stored, rescale_slope/intercept,
                  // number_of_files (never patient-identifying attributes)
  DicomSeriesInfo info;
  std::vector<std::string> warnings;  // what was done to read a series that was not clean
};

// Assembles one scanned series. Throws unetx::Error naming the series' folder/file and the
// problem (mixed orientations, mixed sizes, undecodable transfer syntax, ...).
DicomVolume read_dicom_series(const DicomSeriesFiles& series);

// Reads a DICOM file (single- or multi-frame) or a folder that holds exactly one image series.
// A folder with none or several image series is an error naming the folder.
DicomVolume read_dicom(const fs::path& file_or_folder);

// True when `path` is a file with the DICM preamble or a parsable DICOM dataset without one.
bool is_dicom_file(const fs::path& path);

// True when `path` is a folder whose tree holds at least one DICOM file.
bool is_dicom_folder(const fs::path& path);

}  // namespace unetx::io
