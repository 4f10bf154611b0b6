// DICOM SEG writer (and the cheap SEG check shared with the reader in dicom_seg_read.cpp).
#include "io/dicom_seg.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmfg/fgderimg.h>
#include <dcmtk/dcmfg/fgfracon.h>
#include <dcmtk/dcmfg/fgpixmsr.h>
#include <dcmtk/dcmfg/fgplanor.h>
#include <dcmtk/dcmfg/fgplanpo.h>
#include <dcmtk/dcmiod/iodreferences.h>
#include <dcmtk/dcmseg/segdoc.h>
#include <dcmtk/dcmseg/segment.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>

#include "io/atomic_file.h"
#include "io/dicom_values.h"
#include "io/error.h"

namespace unetx::io {
namespace {

constexpr const char* kSegSopClass = UID_SegmentationStorage;

// Turns a failed DCMTK condition into the library's error, naming the output file.
void check(const OFCondition& cond, const fs::path& out, const std::string& what) {
  if (cond.bad()) throw Error(out.string(), "DICOM SEG: " + what + ": " + cond.text());
}

// LO values: at most 64 characters, no backslash (the value separator), no control characters.
std::string lo(const std::string& text) {
  std::string out;
  for (char ch : text) {
    if (out.size() == 64) break;
    out += (ch == '\\' || static_cast<unsigned char>(ch) < 0x20) ? '_' : ch;
  }
  return out;
}

// (1, Z, Y, X) integer labels as int64, or an error naming what is wrong with them.
at::Tensor checked_labels(const Volume& labels, const DicomSeriesInfo& source,
                          const fs::path& out) {
  const at::Tensor& d = labels.data;
  if (!d.defined() || d.dim() != 4 || d.size(0) != 1 || d.numel() == 0)
    throw Error(out.string(), "DICOM SEG: labels must be a non-empty (1, Z, Y, X) label map");
  if (at::isFloatingType(d.scalar_type()) && !d.eq(d.round()).all().item<bool>())
    throw Error(out.string(), "DICOM SEG: labels hold non-integer values");
  at::Tensor l = d.to(at::kLong).contiguous();
  if (l.min().item<int64_t>() < 0)
    throw Error(out.string(), "DICOM SEG: labels hold negative values");
  if (l.size(1) != static_cast<int64_t>(source.slices.size()))
    throw Error(out.string(), "DICOM SEG: label map has " + std::to_string(l.size(1)) +
                                  " slices, the source series " +
                                  std::to_string(source.slices.size()));
  if (l.size(2) > 65535 || l.size(3) > 65535)
    throw Error(out.string(), "DICOM SEG: frames larger than 65535 rows or columns");
  return l;
}

std::unique_ptr<DcmSegmentation> create_document(const Volume& labels,
                                                 const DicomSeriesInfo& source,
                                                 const DicomSegOptions& options,
                                                 const fs::path& out) {
  IODGeneralEquipmentModule::EquipmentInfo equipment("unetx", "unetx", "1",
                                                     options.algorithm_version);
  ContentIdentificationMacro content("1", "SEGMENTATION", "unetx automatic segmentation", "");
  DcmSegmentation* raw = nullptr;
  check(DcmSegmentation::createBinarySegmentation(raw, static_cast<Uint16>(labels.data.size(2)),
                                                  static_cast<Uint16>(labels.data.size(3)),
                                                  equipment, content),
        out, "create");
  std::unique_ptr<DcmSegmentation> seg(raw);
  if (!source.first_file.empty())
    check(seg->importFromSourceImage(source.first_file.string().c_str()), out,
          "import patient/study from the source series");
  // The series info is what the slices were assembled from: it wins over the one file's copy.
  if (!source.study_uid.empty())
    check(seg->getStudy().setStudyInstanceUID(source.study_uid), out, "study UID");
  if (source.frame_of_reference_uid.empty())
    throw Error(out.string(), "DICOM SEG: the source series has no FrameOfReferenceUID");
  check(seg->getFrameOfReference().setFrameOfReferenceUID(source.frame_of_reference_uid), out,
        "frame of reference UID");
  check(seg->getSeries().setSeriesInstanceUID(new_dicom_uid()), out, "series UID");
  check(seg->getSeries().setSeriesNumber(std::to_string(options.series_number)), out,
        "series number");
  check(seg->getSeries().setSeriesDescription(lo(options.series_description)), out,
        "series description");
  check(seg->getSOPCommon().setSOPInstanceUID(new_dicom_uid()), out, "SOP instance UID");
  return seg;
}

void add_shared_geometry(DcmSegmentation& seg, const Geometry& g, const fs::path& out) {
  FGPixelMeasures measures;
  check(
      measures.setPixelSpacing(decimal_string(g.spacing[1]) + "\\" + decimal_string(g.spacing[0])),
      out, "pixel spacing");
  check(measures.setSliceThickness(decimal_string(g.spacing[2])), out, "slice thickness");
  check(measures.setSpacingBetweenSlices(decimal_string(g.spacing[2])), out,
        "spacing between slices");
  check(seg.addForAllFrames(measures), out, "pixel measures");
  // Row direction = the x index axis (direction column 0), column direction = y (column 1).
  const Mat3& d = g.direction;
  std::unique_ptr<FGPlaneOrientationPatient> orientation(FGPlaneOrientationPatient::createMinimal(
      decimal_string(d[0]), decimal_string(d[3]), decimal_string(d[6]), decimal_string(d[1]),
      decimal_string(d[4]), decimal_string(d[7])));
  if (!orientation) throw Error(out.string(), "DICOM SEG: cannot create plane orientation");
  check(seg.addForAllFrames(*orientation), out, "plane orientation");
}

void add_segments(DcmSegmentation& seg, int64_t count, const std::vector<std::string>& names,
                  const DicomSegOptions& options, const fs::path& out) {
  for (int64_t k = 1; k <= count; ++k) {
    const std::string name = k <= static_cast<int64_t>(names.size()) && !names[k - 1].empty()
                                 ? names[k - 1]
                                 : "label_" + std::to_string(k);
    CodeSequenceMacro category("85756007", "SCT", "Tissue");
    CodeSequenceMacro type("85756007", "SCT", "Tissue");
    DcmSegment* raw = nullptr;
    check(DcmSegment::create(raw, lo(name), category, type, DcmSegTypes::SAT_AUTOMATIC, "unetx"),
          out, "create segment " + std::to_string(k));
    std::unique_ptr<DcmSegment> segment(raw);
    AlgorithmIdentificationMacro algorithm;
    check(algorithm.getAlgorithmFamilyCode().set("123110", "DCM", "Artificial Intelligence"), out,
          "algorithm family");
    check(algorithm.setAlgorithmName("unetx"), out, "algorithm name");
    check(algorithm.setAlgorithmVersion(lo(options.algorithm_version)), out, "algorithm version");
    check(segment->setSegmentationAlgorithmIdentification(algorithm), out, "algorithm");
    Uint16 number = 0;
    check(seg.addSegment(segment.get(), number), out, "add segment " + std::to_string(k));
    segment.release();  // owned by the document now
    if (number != k) throw Error(out.string(), "DICOM SEG: segment numbers out of order");
  }
}

// Frames are ordered by segment, then slice: the order of the two dimension indices.
void add_dimensions(DcmSegmentation& seg, const fs::path& out) {
  const std::string uid = new_dicom_uid();
  check(seg.getDimensions().addDimensionIndex(DCM_ReferencedSegmentNumber, uid,
                                              DCM_SegmentIdentificationSequence,
                                              "ReferencedSegmentNumber"),
        out, "segment dimension");
  check(seg.getDimensions().addDimensionIndex(DCM_ImagePositionPatient, uid,
                                              DCM_PlanePositionSequence, "ImagePositionPatient"),
        out, "position dimension");
}

void add_frame(DcmSegmentation& seg, Uint8* pixels, int64_t segment, int64_t z, const Geometry& g,
               const DicomSliceRef& ref, const fs::path& out) {
  const Vec3 p = g.index_to_physical({0.0, 0.0, static_cast<double>(z)});
  std::unique_ptr<FGPlanePosPatient> position(FGPlanePosPatient::createMinimal(
      decimal_string(p[0]), decimal_string(p[1]), decimal_string(p[2])));
  if (!position) throw Error(out.string(), "DICOM SEG: cannot create plane position");
  FGFrameContent content;
  check(content.setDimensionIndexValues(static_cast<Uint32>(segment), 0), out, "dimension");
  check(content.setDimensionIndexValues(static_cast<Uint32>(z + 1), 1), out, "dimension");
  ImageSOPInstanceReferenceMacro image;
  check(image.setReferencedSOPClassUID(ref.sop_class_uid), out, "referenced SOP class");
  check(image.setReferencedSOPInstanceUID(ref.sop_instance_uid), out, "referenced SOP instance");
  if (ref.frame > 0)
    check(image.addReferencedFrameNumber(static_cast<Uint16>(ref.frame)), out, "frame number");
  OFVector<ImageSOPInstanceReferenceMacro> images;
  images.push_back(image);
  std::unique_ptr<FGDerivationImage> derivation(
      DcmSegmentation::createDerivationImageFG(images, "unetx automatic segmentation"));
  if (!derivation) throw Error(out.string(), "DICOM SEG: cannot create derivation image");
  OFVector<FGBase*> groups;
  groups.push_back(position.get());
  groups.push_back(&content);
  groups.push_back(derivation.get());
  check(seg.addFrame(pixels, static_cast<Uint16>(segment), groups), out,
        "add frame (segment " + std::to_string(segment) + ", slice " + std::to_string(z) + ")");
}

// Binary frames are concatenated bit by bit, pixel i of frame f at bit f * rows * cols + i,
// least significant bit first. DCMTK 3.6.7 misplaces frames that start inside a byte (rows *
// cols not a multiple of 8), so the packed PixelData is written here instead of by dcmseg.
void put_pixel_data(DcmDataset& dataset, const std::vector<at::Tensor>& masks,
                    const fs::path& out) {
  const size_t per_frame = static_cast<size_t>(masks.front().numel());
  const size_t bits = per_frame * masks.size();
  std::vector<Uint8> packed(((bits + 7) / 8 + 1) / 2 * 2, 0);  // even length, as DICOM asks
  size_t bit = 0;
  for (const auto& m : masks) {
    const Uint8* p = m.data_ptr<Uint8>();
    for (size_t i = 0; i < per_frame; ++i, ++bit)
      if (p[i]) packed[bit >> 3] |= static_cast<Uint8>(1u << (bit & 7));
  }
  check(dataset.putAndInsertUint8Array(DCM_PixelData, packed.data(),
                                       static_cast<unsigned long>(packed.size())),
        out, "pixel data");
}

// ReferencedSeriesSequence: every instance of the source series, each once.
void add_references(DcmSegmentation& seg, const DicomSeriesInfo& source, const fs::path& out) {
  IODReferences references;
  std::set<std::string> seen;
  for (const auto& s : source.slices) {
    if (!seen.insert(s.sop_instance_uid).second) continue;
    auto* ref = new IODImageReference(IODReference::LEVEL_SERIES);
    ref->m_StudyInstanceUID = source.study_uid;
    ref->m_SeriesInstanceUID = source.series_uid;
    ref->m_SOPClassUID = s.sop_class_uid;
    ref->m_SOPInstanceUID = s.sop_instance_uid;
    if (!references.add(ref)) {
      delete ref;
      throw Error(out.string(), "DICOM SEG: invalid reference to a source instance");
    }
  }
  if (seg.getCommonInstanceReference().addReferences(references, source.study_uid) != seen.size())
    throw Error(out.string(), "DICOM SEG: cannot reference the source series");
}

}  // namespace

void write_dicom_seg(const Volume& labels, const DicomSeriesInfo& source,
                     const std::vector<std::string>& segment_names, const fs::path& out,
                     const DicomSegOptions& options) {
  const at::Tensor l = checked_labels(labels, source, out);
  const int64_t count =
      std::max<int64_t>({l.max().item<int64_t>(), static_cast<int64_t>(segment_names.size()), 1});
  if (count > 65535) throw Error(out.string(), "DICOM SEG: more than 65535 segments");
  std::unique_ptr<DcmSegmentation> seg = create_document(labels, source, options, out);
  add_shared_geometry(*seg, labels.geometry, out);
  add_segments(*seg, count, segment_names, options, out);
  add_dimensions(*seg, out);

  const int64_t slices = l.size(1);
  std::vector<at::Tensor> masks;  // (Y, X) uint8 per frame, in frame order
  for (int64_t k = 1; k <= count; ++k) {
    const at::Tensor mask = l[0].eq(k).to(at::kByte).contiguous();  // (Z, Y, X)
    const at::Tensor nonempty = mask.flatten(1).any(1);
    for (int64_t z = 0; z < slices; ++z) {
      if (!nonempty[z].item<bool>()) continue;
      masks.push_back(mask[z].contiguous());
      add_frame(*seg, masks.back().data_ptr<Uint8>(), k, z, labels.geometry, source.slices[z], out);
    }
  }
  if (masks.empty()) {
    masks.push_back(at::zeros({l.size(2), l.size(3)}, at::kByte));
    add_frame(*seg, masks.back().data_ptr<Uint8>(), 1, 0, labels.geometry, source.slices[0], out);
  }
  add_references(*seg, source, out);

  DcmFileFormat encoded;
  check(seg->writeDataset(*encoded.getDataset()), out, "encode");
  put_pixel_data(*encoded.getDataset(), masks, out);
  AtomicFile file(out);
  check(encoded.saveFile(file.temp_path().string().c_str(), EXS_LittleEndianExplicit), out,
        "write");
  file.commit();
  const size_t frames = masks.size();
  spdlog::debug("{}: DICOM SEG with {} segment(s), {} frame(s)", out.string(), count, frames);
}

bool is_dicom_seg_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  {
    // Without the DICM preamble, DCMTK would try to parse any file (a NIfTI) as a dataset.
    std::ifstream in(path, std::ios::binary);
    char head[132] = {};
    if (!in.read(head, sizeof head) || std::memcmp(head + 128, "DICM", 4) != 0) return false;
  }
  DcmFileFormat file;
  if (file.loadFileUntilTag(path.string().c_str(), EXS_Unknown, EGL_noChange, DCM_MaxReadLength,
                            ERM_autoDetect, DCM_SOPInstanceUID)
          .bad())
    return false;
  OFString sop_class;
  if (file.getDataset()->findAndGetOFString(DCM_SOPClassUID, sop_class).bad()) {
    // Some writers put only the meta header's MediaStorageSOPClassUID in the first bytes.
    file.getMetaInfo()->findAndGetOFString(DCM_MediaStorageSOPClassUID, sop_class);
  }
  return sop_class == kSegSopClass;
}

}  // namespace unetx::io
