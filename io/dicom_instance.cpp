#include "io/dicom_instance.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcuid.h>

#include <cmath>

#include "io/error.h"

namespace unetx::io {
namespace {

std::string get_string(DcmItem& item, const DcmTagKey& tag) {
  OFString value;
  if (item.findAndGetOFString(tag, value).bad()) return {};
  return value.c_str();
}

// Reads `count` DS values of `tag` from `item`; false when absent or not numeric.
bool get_doubles(DcmItem* item, const DcmTagKey& tag, double* out, int count) {
  if (item == nullptr) return false;
  for (int i = 0; i < count; ++i) {
    Float64 v = 0;
    if (item->findAndGetFloat64(tag, v, i).bad() || !std::isfinite(v)) return false;
    out[i] = v;
  }
  return true;
}

int get_u16(DcmItem& item, const DcmTagKey& tag, const fs::path& path, bool required) {
  Uint16 v = 0;
  if (item.findAndGetUint16(tag, v).bad()) {
    if (required) {
      throw Error(path.string(),
                  std::string("missing or invalid ") + DcmTag(tag).getTagName() + " attribute");
    }
    return -1;
  }
  return v;
}

DcmItem* sequence_item(DcmItem* parent, const DcmTagKey& tag, int index = 0) {
  DcmItem* item = nullptr;
  if (parent == nullptr || parent->findAndGetSequenceItem(tag, item, index).bad()) return nullptr;
  return item;
}

// Fills the geometry/rescale of one frame from one item (the dataset for classic images, or a
// functional group macro item); attributes absent from `item` are left as they are.
void read_plane(DcmItem* item, DicomFrameInfo& f) {
  double v[6];
  if (get_doubles(item, DCM_ImagePositionPatient, v, 3)) {
    f.position = {v[0], v[1], v[2]};
    f.has_position = true;
  }
  if (get_doubles(item, DCM_ImageOrientationPatient, v, 6)) {
    for (int i = 0; i < 6; ++i) f.orientation[i] = v[i];
    f.has_orientation = true;
  }
  if (get_doubles(item, DCM_PixelSpacing, v, 2) && v[0] > 0 && v[1] > 0) {
    f.spacing_y = v[0];
    f.spacing_x = v[1];
    f.has_spacing = true;
  }
  if (get_doubles(item, DCM_SliceThickness, v, 1) && v[0] > 0) f.thickness = v[0];
  if (get_doubles(item, DCM_RescaleSlope, v, 1) && v[0] != 0) f.slope = v[0];
  if (get_doubles(item, DCM_RescaleIntercept, v, 1)) f.intercept = v[0];
}

// One functional group (shared or per-frame item) applied to a frame.
void read_functional_group(DcmItem* group, DicomFrameInfo& f) {
  if (group == nullptr) return;
  read_plane(sequence_item(group, DCM_PlanePositionSequence), f);
  read_plane(sequence_item(group, DCM_PlaneOrientationSequence), f);
  read_plane(sequence_item(group, DCM_PixelMeasuresSequence), f);
  read_plane(sequence_item(group, DCM_PixelValueTransformationSequence), f);
}

int number_of_frames(DcmDataset& ds, const fs::path& path) {
  if (!ds.tagExistsWithValue(DCM_NumberOfFrames)) return 1;
  // DCMTK parses a leading number out of an IS value ("1A" -> 1); unetx wants the whole
  // value to be a number, as a damaged header must not decide how many frames are read.
  const std::string text = get_string(ds, DCM_NumberOfFrames);
  const bool digits_only =
      !text.empty() && text.find_first_not_of("+0123456789 ") == std::string::npos;
  Sint32 frames = 0;
  if (!digits_only || ds.findAndGetSint32(DCM_NumberOfFrames, frames).bad() || frames < 1) {
    throw Error(path.string(),
                "invalid NumberOfFrames '" + get_string(ds, DCM_NumberOfFrames) + "'");
  }
  return frames;
}

// RT Dose: frames are planes at GridFrameOffsetVector offsets along the normal from
// ImagePositionPatient; DoseGridScaling turns stored values into Gy.
void apply_rt_dose(DcmDataset& ds, DicomInstanceHeader& h) {
  double scaling = 0;
  if (get_doubles(&ds, DCM_DoseGridScaling, &scaling, 1) && scaling != 0) {
    for (auto& f : h.frame) f.slope = scaling;
  }
  std::vector<double> offsets(h.frames);
  if (h.frames < 2 || !get_doubles(&ds, DCM_GridFrameOffsetVector, offsets.data(), h.frames)) {
    return;
  }
  const auto& o = h.frame[0].orientation;
  const Vec3 n{o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]};
  // Offsets are relative when the first is 0; otherwise they are absolute along the normal.
  const double base = offsets[0];
  for (int k = 0; k < h.frames; ++k) {
    DicomFrameInfo& f = h.frame[k];
    const double step = offsets[k] - base;
    for (int i = 0; i < 3; ++i) f.position[i] = h.frame[0].position[i] + step * n[i];
  }
}

}  // namespace

DicomInstanceHeader read_instance_header(DcmDataset& ds, const fs::path& path,
                                         const std::string& transfer_syntax_uid) {
  DicomInstanceHeader h;
  h.path = path;
  h.transfer_syntax_uid = transfer_syntax_uid;
  h.sop_class_uid = get_string(ds, DCM_SOPClassUID);
  h.sop_instance_uid = get_string(ds, DCM_SOPInstanceUID);
  h.study_uid = get_string(ds, DCM_StudyInstanceUID);
  h.series_uid = get_string(ds, DCM_SeriesInstanceUID);
  h.frame_of_reference_uid = get_string(ds, DCM_FrameOfReferenceUID);
  h.modality = get_string(ds, DCM_Modality);
  h.photometric = get_string(ds, DCM_PhotometricInterpretation);
  h.rows = get_u16(ds, DCM_Rows, path, true);
  h.columns = get_u16(ds, DCM_Columns, path, true);
  h.bits_allocated = get_u16(ds, DCM_BitsAllocated, path, true);
  h.bits_stored = get_u16(ds, DCM_BitsStored, path, false);
  if (h.bits_stored <= 0) h.bits_stored = h.bits_allocated;
  h.high_bit = get_u16(ds, DCM_HighBit, path, false);
  if (h.high_bit < 0) h.high_bit = h.bits_stored - 1;
  h.is_signed = get_u16(ds, DCM_PixelRepresentation, path, false) == 1;
  h.samples = std::max(1, get_u16(ds, DCM_SamplesPerPixel, path, false));
  h.planar_configuration = std::max(0, get_u16(ds, DCM_PlanarConfiguration, path, false));
  h.frames = number_of_frames(ds, path);
  if (h.rows == 0 || h.columns == 0) throw Error(path.string(), "image has no rows or columns");
  if (h.bits_allocated != 8 && h.bits_allocated != 16 && h.bits_allocated != 32) {
    throw Error(path.string(), "unsupported BitsAllocated " + std::to_string(h.bits_allocated) +
                                   " (unetx reads 8, 16 and 32)");
  }
  if (h.bits_stored > h.bits_allocated || h.high_bit >= h.bits_allocated ||
      h.high_bit + 1 < h.bits_stored) {
    throw Error(path.string(), "inconsistent BitsStored/HighBit/BitsAllocated (" +
                                   std::to_string(h.bits_stored) + "/" +
                                   std::to_string(h.high_bit) + "/" +
                                   std::to_string(h.bits_allocated) + ")");
  }
  get_doubles(&ds, DCM_SpacingBetweenSlices, &h.spacing_between_slices, 1);

  DicomFrameInfo common;
  read_plane(&ds, common);
  DcmItem* shared = sequence_item(&ds, DCM_SharedFunctionalGroupsSequence);
  read_functional_group(shared, common);
  h.frame.assign(h.frames, common);
  for (int k = 0; k < h.frames; ++k) {
    read_functional_group(sequence_item(&ds, DCM_PerFrameFunctionalGroupsSequence, k), h.frame[k]);
  }
  if (h.modality == "RTDOSE") apply_rt_dose(ds, h);
  return h;
}

std::string non_image_reason(DcmDataset& ds) {
  const std::string sop = get_string(ds, DCM_SOPClassUID);
  struct Family {
    const char* prefix;
    const char* what;
  };
  // Storage SOP class families that never hold an image volume unetx reads.
  static const Family kNonImage[] = {
      {"1.2.840.10008.5.1.4.1.1.88.", "structured report"},
      {"1.2.840.10008.5.1.4.1.1.481.3", "RT structure set"},
      {"1.2.840.10008.5.1.4.1.1.481.5", "RT plan"},
      {"1.2.840.10008.5.1.4.1.1.481.8", "RT ion plan"},
      {"1.2.840.10008.5.1.4.1.1.481.4", "RT treatment record"},
      {"1.2.840.10008.5.1.4.1.1.11.", "presentation state"},
      {"1.2.840.10008.5.1.4.1.1.9.", "waveform"},
      {"1.2.840.10008.5.1.4.1.1.66", "segmentation/registration/raw data"},
      {"1.2.840.10008.5.1.4.1.1.104.", "encapsulated document"},
  };
  for (const Family& f : kNonImage) {
    if (sop.rfind(f.prefix, 0) == 0) {
      const char* name = dcmFindNameOfUID(sop.c_str(), nullptr);
      return std::string("not an image (") + f.what + (name ? std::string(", ") + name : "") + ")";
    }
  }
  if (!ds.tagExists(DCM_PixelData)) return "not an image (no pixel data)";
  return {};
}

}  // namespace unetx::io
