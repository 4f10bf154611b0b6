// Label maps <-> DICOM Segmentation objects (SEG, SOP class 1.2.840.10008.5.1.4.1.1.66.4)
// through DCMTK's dcmseg.
//
// Writing: one BINARY segment per label value 1..N, one frame per (segment, slice) pair that
// holds at least one voxel, each frame referencing the source image slice it was computed from,
// so a PACS viewer overlays the SEG on the series it came from.
//
// Reading: frames are placed by their ImagePositionPatient, never by their order in the file,
// so a SEG written by any tool lands on the image grid it was drawn on.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "io/dicom_series.h"
#include "io/volume.h"

namespace unetx::io {

namespace fs = std::filesystem;

struct DicomSegOptions {
  std::string series_description = "unetx segmentation";
  int series_number = 300;
  // Software version written as the segments' algorithm version and the equipment's
  // SoftwareVersions (the io room does not know the binary's version).
  std::string algorithm_version = "dev";
};

// Writes `labels`, a (1, Z, Y, X) integer label map (values >= 0) on the grid of the source
// series (labels.geometry: LPS, Z == source.slices.size()), as a DICOM SEG file `out`.
//
// Segments: label k (1..N) is segment k, named segment_names[k-1] when given, else "label_k";
// N = max(largest label value, segment_names.size()), so a declared label that is absent from
// the map is still a segment (with no frames). Every segment is coded as category and type
// SCT 85756007 "Tissue": unetx does not know what a label means anatomically, and "Tissue" is
// the generic entry of both CID 7150 and CID 7151; the segment label carries the name.
// Algorithm: AUTOMATIC, name "unetx", family DCM 123110 "Artificial Intelligence".
//
// Geometry: PlaneOrientation, PixelSpacing, SliceThickness and SpacingBetweenSlices are shared;
// each frame has its own PlanePosition (origin + direction * diag(spacing) * (0, 0, z)) and a
// DerivationImage item referencing source.slices[z] (with its frame number for multi-frame
// sources). Patient, study and frame-of-reference modules are imported from source.first_file;
// Study and FrameOfReference UIDs are then set from `source` (same study, same frame of
// reference); the SEG is a new series. A map with no labelled voxel at all still gets one empty
// frame (segment 1, slice 0): a SEG must hold at least one frame.
//
// Written atomically. Throws unetx::Error(out, reason) on a bad label map, a slice count that
// differs from the source, or a DCMTK failure. Logs nothing patient-identifying.
void write_dicom_seg(const Volume& labels, const DicomSeriesInfo& source,
                     const std::vector<std::string>& segment_names, const fs::path& out,
                     const DicomSegOptions& options = {});

// Reads a SEG onto a reference grid (`grid`, `size` in (x, y, z) voxels): each frame goes to
// the z index its PlanePositionPatient maps to; the value written is the frame's segment number
// (uint8 for up to 255 segments, else int32). Where segments overlap, the higher segment number
// wins (one warning per file). FRACTIONAL segmentations are thresholded: a voxel belongs to the
// segment when its value is >= half the MaximumFractionalValue.
// Throws unetx::Error(seg, reason) when the file is not a SEG, when its frame size, pixel
// spacing or orientation differs from the grid, or when a frame lies off the grid.
Volume read_dicom_seg(const fs::path& seg, const Geometry& grid, const Size3& size);

// Reads a SEG on the grid spanned by its own frames: x/y axes and spacing from its shared
// orientation and pixel measures; z along the slice normal (row x column direction) from the
// lowest to the highest frame position, with SpacingBetweenSlices as the z spacing (else the
// smallest gap between distinct frame positions, else SliceThickness, else 1 mm). Slices
// without frames between them are empty. Use the grid form whenever the image is at hand: this
// grid covers only the slices that hold a segment.
Volume read_dicom_seg(const fs::path& seg);

// True when `path` is a regular file with the DICM preamble whose SOPClassUID is Segmentation
// Storage. Cheap: reads the file meta and the first elements only.
bool is_dicom_seg_file(const fs::path& path);

}  // namespace unetx::io
