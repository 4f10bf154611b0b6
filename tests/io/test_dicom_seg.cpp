// DICOM SEG: a label map written against a real DICOM series reads back voxel for voxel on
// oblique, anisotropic and left-handed grids; the file references the source instances, study
// and frame of reference as DICOM requires; SEGs unetx did not write (fractional, overlapping
// segments) are read by the documented rules; off-grid and misoriented frames are refused.
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmfg/fgfracon.h>
#include <dcmtk/dcmfg/fgpixmsr.h>
#include <dcmtk/dcmfg/fgplanor.h>
#include <dcmtk/dcmfg/fgplanpo.h>
#include <dcmtk/dcmseg/segdoc.h>
#include <dcmtk/dcmseg/segment.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "geometry_fixture.h"
#include "io/dicom_export.h"
#include "io/dicom_seg.h"
#include "io/error.h"
#include "io/image_io.h"
#include "io/label_io.h"
#include "temp_dir.h"

namespace unetx::io {
namespace {

using test::TempDir;

constexpr const char* kSegClass = "1.2.840.10008.5.1.4.1.1.66.4";

// Tilted 20 degrees about x, then turned 30 degrees about z: no axis is aligned with LPS.
Geometry oblique_geometry() {
  const double a = 20 * M_PI / 180, b = 30 * M_PI / 180;
  const double ca = std::cos(a), sa = std::sin(a), cb = std::cos(b), sb = std::sin(b);
  Geometry g;
  g.spacing = {0.8, 1.1, 3.0};
  g.origin = {-40.5, 12.25, 101.0};
  // Rz(b) * Rx(a), columns = index axes.
  g.direction = {cb, -sb * ca, sb * sa, sb, cb * ca, -cb * sa, 0, sa, ca};
  return g;
}

// (1, Z=6, Y=5, X=7): labels 1..3, slices 0 and 3 empty.
Volume make_labels(const Geometry& g) {
  at::Tensor l = at::zeros({1, 6, 5, 7}, at::kByte);
  l[0][1].narrow(0, 1, 2).narrow(1, 2, 3).fill_(1);
  l[0][2][4][6] = 2;
  l[0][2][0][0] = 1;
  l[0][4].narrow(0, 0, 5).narrow(1, 0, 1).fill_(3);
  l[0][5][2][3] = 2;
  return Volume{l, g, {}};
}

std::string get(DcmItem& item, const DcmTagKey& tag) {
  OFString value;
  item.findAndGetOFStringArray(tag, value);
  return value.c_str();
}

// A real CT series on `g` and the identity a DICOM reader would report for it.
struct Source {
  std::vector<fs::path> files;
  DicomSeriesInfo info;
};

Source write_source(const fs::path& folder, const Geometry& g) {
  Volume ct{at::arange(6 * 5 * 7, at::kShort).reshape({1, 6, 5, 7}), g, {}};
  DicomExportOptions o;
  o.patient_name = "PHANTOM^SEG";
  Source s;
  s.files = write_dicom_series(ct, folder, o);
  for (const auto& f : s.files) {
    DcmFileFormat file;
    EXPECT_TRUE(file.loadFile(f.string().c_str()).good());
    DcmDataset& d = *file.getDataset();
    s.info.slices.push_back({get(d, DCM_SOPClassUID), get(d, DCM_SOPInstanceUID), 0});
    s.info.study_uid = get(d, DCM_StudyInstanceUID);
    s.info.series_uid = get(d, DCM_SeriesInstanceUID);
    s.info.frame_of_reference_uid = get(d, DCM_FrameOfReferenceUID);
    s.info.modality = get(d, DCM_Modality);
  }
  s.info.first_file = s.files.front();
  return s;
}

int64_t nonempty_pairs(const at::Tensor& labels, int64_t segments) {
  int64_t n = 0;
  for (int64_t k = 1; k <= segments; ++k)
    n += labels[0].eq(k).flatten(1).any(1).sum().item<int64_t>();
  return n;
}

TEST(DicomSeg, RoundTripOnObliqueAnisotropicGridKeepsEveryVoxel) {
  TempDir dir;
  const Source src = write_source(dir / "ct", oblique_geometry());
  const Volume labels = make_labels(oblique_geometry());
  const fs::path seg = dir / "seg.dcm";
  write_dicom_seg(labels, src.info, {"liver", "spleen", "kidney", "tumour"}, seg);

  EXPECT_TRUE(is_dicom_seg_file(seg));
  const Volume back = read_dicom_seg(seg, labels.geometry, labels.size());
  ASSERT_EQ(back.data.sizes(), labels.data.sizes());
  EXPECT_TRUE(at::equal(back.data, labels.data));
  EXPECT_EQ(back.data.scalar_type(), at::kByte);
}

TEST(DicomSeg, LeftHandedGridRoundTrips) {
  TempDir dir;
  const Geometry g = test::rotated_geometry();  // z runs against row x column
  const Source src = write_source(dir / "ct", g);
  const Volume labels = make_labels(g);
  write_dicom_seg(labels, src.info, {}, dir / "seg.dcm");
  const Volume back = read_dicom_seg(dir / "seg.dcm", g, labels.size());
  EXPECT_TRUE(at::equal(back.data, labels.data));
}

TEST(DicomSeg, FileReferencesSourceStudyFrameOfReferenceAndInstances) {
  TempDir dir;
  const Source src = write_source(dir / "ct", oblique_geometry());
  const Volume labels = make_labels(oblique_geometry());
  const fs::path seg = dir / "seg.dcm";
  write_dicom_seg(labels, src.info, {"liver", "spleen", "kidney", "tumour"}, seg);

  DcmFileFormat file;
  ASSERT_TRUE(file.loadFile(seg.string().c_str()).good());
  DcmDataset& d = *file.getDataset();
  EXPECT_EQ(get(d, DCM_SOPClassUID), kSegClass);
  EXPECT_EQ(get(d, DCM_Modality), "SEG");
  EXPECT_EQ(get(d, DCM_SegmentationType), "BINARY");
  EXPECT_EQ(get(d, DCM_StudyInstanceUID), src.info.study_uid);
  EXPECT_EQ(get(d, DCM_FrameOfReferenceUID), src.info.frame_of_reference_uid);
  EXPECT_EQ(get(d, DCM_PatientName), "PHANTOM^SEG");  // imported from the source
  EXPECT_FALSE(get(d, DCM_SeriesInstanceUID).empty());
  EXPECT_NE(get(d, DCM_SeriesInstanceUID), src.info.series_uid);
  const int64_t frames = nonempty_pairs(labels.data, 3);
  EXPECT_EQ(frames, 5);
  EXPECT_EQ(get(d, DCM_NumberOfFrames), std::to_string(frames));

  // ReferencedSeriesSequence: the source series, every instance in z order.
  DcmItem* series = nullptr;
  ASSERT_TRUE(d.findAndGetSequenceItem(DCM_ReferencedSeriesSequence, series, 0).good());
  EXPECT_EQ(get(*series, DCM_SeriesInstanceUID), src.info.series_uid);
  for (size_t z = 0; z < src.info.slices.size(); ++z) {
    DcmItem* instance = nullptr;
    ASSERT_TRUE(series->findAndGetSequenceItem(DCM_ReferencedInstanceSequence, instance, z).good());
    EXPECT_EQ(get(*instance, DCM_ReferencedSOPInstanceUID), src.info.slices[z].sop_instance_uid);
    EXPECT_EQ(get(*instance, DCM_ReferencedSOPClassUID), src.info.slices[z].sop_class_uid);
  }

  // Segments: four declared (the fourth is empty), named, AUTOMATIC by unetx.
  DcmItem* segment = nullptr;
  ASSERT_TRUE(d.findAndGetSequenceItem(DCM_SegmentSequence, segment, 3).good());
  EXPECT_EQ(get(*segment, DCM_SegmentLabel), "tumour");
  EXPECT_EQ(get(*segment, DCM_SegmentNumber), "4");
  EXPECT_EQ(get(*segment, DCM_SegmentAlgorithmType), "AUTOMATIC");
  EXPECT_EQ(get(*segment, DCM_SegmentAlgorithmName), "unetx");
  EXPECT_FALSE(d.findAndGetSequenceItem(DCM_SegmentSequence, segment, 4).good());

  // Per frame: segment number, source slice and position, in (segment, z) order.
  size_t f = 0;
  for (int64_t k = 1; k <= 3; ++k) {
    for (int64_t z = 0; z < 6; ++z) {
      if (!labels.data[0][z].eq(k).any().item<bool>()) continue;
      DcmItem* frame = nullptr;
      ASSERT_TRUE(d.findAndGetSequenceItem(DCM_PerFrameFunctionalGroupsSequence, frame, f).good());
      DcmItem *seg_item = nullptr, *derivation = nullptr, *source = nullptr, *pos = nullptr;
      ASSERT_TRUE(
          frame->findAndGetSequenceItem(DCM_SegmentIdentificationSequence, seg_item).good());
      EXPECT_EQ(get(*seg_item, DCM_ReferencedSegmentNumber), std::to_string(k));
      ASSERT_TRUE(frame->findAndGetSequenceItem(DCM_DerivationImageSequence, derivation).good());
      ASSERT_TRUE(derivation->findAndGetSequenceItem(DCM_SourceImageSequence, source).good());
      EXPECT_EQ(get(*source, DCM_ReferencedSOPInstanceUID), src.info.slices[z].sop_instance_uid)
          << "frame " << f;
      ASSERT_TRUE(frame->findAndGetSequenceItem(DCM_PlanePositionSequence, pos).good());
      Float64 x = 0;
      ASSERT_TRUE(pos->findAndGetFloat64(DCM_ImagePositionPatient, x, 0).good());
      EXPECT_NEAR(x, labels.geometry.index_to_physical({0, 0, double(z)})[0], 1e-6);
      ++f;
    }
  }
  EXPECT_EQ(f, static_cast<size_t>(frames));
}

TEST(DicomSeg, OwnGridSpansTheFramesOnly) {
  TempDir dir;
  const Geometry g = oblique_geometry();
  const Source src = write_source(dir / "ct", g);
  const Volume labels = make_labels(g);
  write_dicom_seg(labels, src.info, {}, dir / "seg.dcm");
  const Volume own = read_dicom_seg(dir / "seg.dcm");
  // Frames exist on slices 1, 2, 4, 5: the own grid is slices 1..5 of the source grid.
  ASSERT_EQ(own.size(), (Size3{7, 5, 5}));
  EXPECT_TRUE(at::equal(own.data, labels.data.narrow(1, 1, 5)));
  const Vec3 origin = g.index_to_physical({0, 0, 1});
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(own.geometry.origin[i], origin[i], 1e-6);
    EXPECT_NEAR(own.geometry.spacing[i], g.spacing[i], 1e-9);
  }
  for (int i = 0; i < 9; ++i) EXPECT_NEAR(own.geometry.direction[i], g.direction[i], 1e-9);
}

TEST(DicomSeg, MultiFrameSourceIsReferencedByFrameNumber) {
  TempDir dir;
  const Source src = write_source(dir / "ct", oblique_geometry());
  DicomSeriesInfo info = src.info;
  for (size_t z = 0; z < info.slices.size(); ++z) {
    info.slices[z].sop_instance_uid = info.slices[0].sop_instance_uid;
    info.slices[z].frame = static_cast<int>(z) + 1;
  }
  Volume labels = make_labels(oblique_geometry());
  write_dicom_seg(labels, info, {}, dir / "seg.dcm");
  DcmFileFormat file;
  ASSERT_TRUE(file.loadFile((dir / "seg.dcm").string().c_str()).good());
  DcmDataset& d = *file.getDataset();
  DcmItem *frame = nullptr, *derivation = nullptr, *source = nullptr, *series = nullptr;
  // First frame: segment 1 on slice 1, so source frame 2.
  ASSERT_TRUE(d.findAndGetSequenceItem(DCM_PerFrameFunctionalGroupsSequence, frame, 0).good());
  ASSERT_TRUE(frame->findAndGetSequenceItem(DCM_DerivationImageSequence, derivation).good());
  ASSERT_TRUE(derivation->findAndGetSequenceItem(DCM_SourceImageSequence, source).good());
  EXPECT_EQ(get(*source, DCM_ReferencedFrameNumber), "2");
  ASSERT_TRUE(d.findAndGetSequenceItem(DCM_ReferencedSeriesSequence, series, 0).good());
  DcmItem* instance = nullptr;
  EXPECT_TRUE(series->findAndGetSequenceItem(DCM_ReferencedInstanceSequence, instance, 0).good());
  EXPECT_FALSE(series->findAndGetSequenceItem(DCM_ReferencedInstanceSequence, instance, 1).good());
}

TEST(DicomSeg, EmptyLabelMapStillMakesAValidSeg) {
  TempDir dir;
  const Source src = write_source(dir / "ct", oblique_geometry());
  Volume labels = make_labels(oblique_geometry());
  labels.data.zero_();
  write_dicom_seg(labels, src.info, {"liver"}, dir / "seg.dcm");
  DcmFileFormat file;
  ASSERT_TRUE(file.loadFile((dir / "seg.dcm").string().c_str()).good());
  EXPECT_EQ(get(*file.getDataset(), DCM_NumberOfFrames), "1");
  const Volume back = read_dicom_seg(dir / "seg.dcm", labels.geometry, labels.size());
  EXPECT_EQ(back.data.count_nonzero().item<int64_t>(), 0);
}

TEST(DicomSeg, OffGridAndMisorientedFramesAreRefusedNamingTheFile) {
  TempDir dir;
  const Geometry g = oblique_geometry();
  const Source src = write_source(dir / "ct", g);
  const Volume labels = make_labels(g);
  const fs::path seg = dir / "seg.dcm";
  write_dicom_seg(labels, src.info, {}, seg);

  Geometry half = g;  // half a slice along z: every frame falls between two slices
  half.origin = g.index_to_physical({0, 0, 0.5});
  try {
    read_dicom_seg(seg, half, labels.size());
    FAIL() << "off-grid frames accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.subject(), seg.string());
    EXPECT_NE(e.reason().find("off the image grid"), std::string::npos) << e.reason();
  }
  Geometry turned = g;
  turned.direction = test::rotated_geometry().direction;
  try {
    read_dicom_seg(seg, turned, labels.size());
    FAIL() << "misoriented frames accepted";
  } catch (const Error& e) {
    EXPECT_NE(e.reason().find("orientation"), std::string::npos) << e.reason();
  }
  Size3 fewer = labels.size();
  fewer[2] = 4;  // frames on slices 4 and 5 fall outside
  EXPECT_THROW(read_dicom_seg(seg, g, fewer), Error);
  const Volume five{labels.data.narrow(1, 0, 5), g, {}};  // 5 slices for a 6-slice series
  EXPECT_THROW(write_dicom_seg(five, src.info, {}, dir / "bad.dcm"), Error);
  EXPECT_FALSE(fs::exists(dir / "bad.dcm"));
}

// A SEG made with DCMTK directly, as another tool would: axial 4x3 frames at z = 0, 2, 4 mm.
fs::path foreign_seg(const fs::path& out, bool fractional,
                     const std::vector<std::pair<int, std::vector<Uint8>>>& frames, int z_step) {
  IODGeneralEquipmentModule::EquipmentInfo eq("other", "tool", "1", "1");
  ContentIdentificationMacro ci("1", "OTHER", "", "");
  DcmSegmentation* raw = nullptr;
  if (fractional) {
    EXPECT_TRUE(DcmSegmentation::createFractionalSegmentation(
                    raw, 3, 4, DcmSegTypes::SFT_PROBABILITY, 200, eq, ci)
                    .good());
  } else {
    EXPECT_TRUE(DcmSegmentation::createBinarySegmentation(raw, 3, 4, eq, ci).good());
  }
  std::unique_ptr<DcmSegmentation> seg(raw);
  char uid[100];
  seg->getFrameOfReference().setFrameOfReferenceUID(dcmGenerateUniqueIdentifier(uid));
  seg->getStudy().setStudyInstanceUID(dcmGenerateUniqueIdentifier(uid));
  seg->getPatient().setPatientName("OTHER");
  seg->getSeries().setSeriesNumber("1");
  seg->getSeries().setSeriesInstanceUID(dcmGenerateUniqueIdentifier(uid));
  seg->getSOPCommon().setSOPInstanceUID(dcmGenerateUniqueIdentifier(uid));
  FGPixelMeasures m;
  m.setPixelSpacing("1\\1");
  m.setSliceThickness("2");
  seg->addForAllFrames(m);
  std::unique_ptr<FGPlaneOrientationPatient> o(
      FGPlaneOrientationPatient::createMinimal("1", "0", "0", "0", "1", "0"));
  seg->addForAllFrames(*o);
  int segments = 0;
  for (const auto& frame : frames) segments = std::max(segments, frame.first);
  for (int k = 1; k <= segments; ++k) {
    CodeSequenceMacro code("85756007", "SCT", "Tissue");
    DcmSegment* s = nullptr;
    EXPECT_TRUE(
        DcmSegment::create(s, "s" + std::to_string(k), code, code, DcmSegTypes::SAT_MANUAL).good());
    Uint16 n = 0;
    EXPECT_TRUE(seg->addSegment(s, n).good());
  }
  const std::string dimensions = dcmGenerateUniqueIdentifier(uid);
  seg->getDimensions().addDimensionIndex(DCM_ReferencedSegmentNumber, dimensions,
                                         DCM_SegmentIdentificationSequence);
  seg->getDimensions().addDimensionIndex(DCM_ImagePositionPatient, dimensions,
                                         DCM_PlanePositionSequence);
  int z = 0;
  for (const auto& [segment, pixels] : frames) {
    FGFrameContent content;
    content.setDimensionIndexValues(segment, 0);
    content.setDimensionIndexValues(z + 1, 1);
    std::unique_ptr<FGPlanePosPatient> p(
        FGPlanePosPatient::createMinimal("0", "0", std::to_string(z).c_str()));
    std::vector<Uint8> data = pixels;
    OFVector<FGBase*> groups;
    groups.push_back(p.get());
    groups.push_back(&content);
    EXPECT_TRUE(seg->addFrame(data.data(), static_cast<Uint16>(segment), groups).good());
    z += z_step;
  }
  seg->setCheckDimensionsOnWrite(OFFalse);
  const OFCondition saved = seg->saveFile(out.string().c_str());
  EXPECT_TRUE(saved.good()) << saved.text();
  return out;
}

TEST(DicomSeg, ForeignFractionalSegIsThresholdedAtHalf) {
  TempDir dir;
  // Max fractional value 200: 100 is exactly 50% (in), 99 is not.
  const fs::path f =
      foreign_seg(dir / "frac.dcm", true, {{1, {0, 99, 100, 200, 0, 0, 0, 0, 0, 0, 0, 150}}}, 2);
  Geometry g;
  g.spacing = {1, 1, 2};
  const Volume v = read_dicom_seg(f, g, {4, 3, 1});
  const at::Tensor expected =
      at::tensor({0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1}, at::kByte).reshape({1, 1, 3, 4});
  EXPECT_TRUE(at::equal(v.data, expected)) << v.data;
}

TEST(DicomSeg, OverlappingSegmentsHigherNumberWins) {
  TempDir dir;
  // Both segments on the same plane (z step 0); they share pixel 1.
  const fs::path f = foreign_seg(
      dir / "overlap.dcm", false,
      {{2, {0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0}}, {1, {1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}}, 0);
  Geometry g;
  g.spacing = {1, 1, 2};
  g.origin = {0, 0, -2};  // the plane is slice 1 of 2
  const Volume v = read_dicom_seg(f, g, {4, 3, 2});
  EXPECT_EQ(v.data[0][0].count_nonzero().item<int64_t>(), 0);
  const at::Tensor expected =
      at::tensor({1, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 1}, at::kByte).reshape({3, 4});
  EXPECT_TRUE(at::equal(v.data[0][1], expected)) << v.data;
}

TEST(DicomSeg, ReadLabelMapsSegOnTheImageGridAndPassesOtherFilesThrough) {
  TempDir dir;
  const Geometry g = oblique_geometry();
  const Source src = write_source(dir / "ct", g);
  const Volume labels = make_labels(g);
  write_dicom_seg(labels, src.info, {}, dir / "seg.dcm");
  write_image(labels, dir / "labels.nii.gz");
  const Volume image{at::zeros({1, 6, 5, 7}), g, {}};
  EXPECT_TRUE(at::equal(read_label(dir / "seg.dcm", image).data, labels.data));
  EXPECT_TRUE(at::equal(read_label(dir / "labels.nii.gz", image).data, labels.data));
  EXPECT_FALSE(is_dicom_seg_file(dir / "labels.nii.gz"));
  EXPECT_FALSE(is_dicom_seg_file(src.files.front()));  // a CT slice, not a SEG
  EXPECT_FALSE(is_dicom_seg_file(dir / "ct"));
}

// python3-pydicom ships one SEG written by another tool (dcmqi, 3D Slicer): liver_1frame.dcm,
// a 512x512 BINARY liver segment cut down to one frame of pixel data while its per-frame
// functional groups still describe three frames. As shipped it is inconsistent and must be
// refused; with the two orphaned per-frame items removed (and NumberOfFrames 1) it must read.
// Expected values were counted from its PixelData with numpy, independently of DCMTK.
TEST(DicomSeg, ReadsTheSlicerSegShippedWithPydicom) {
  const fs::path original = fs::path(UNETX_TEST_DATA) / "external" / "pydicom" / "liver_1frame.dcm";
  ASSERT_TRUE(fs::exists(original)) << original << " is missing: run scripts/fetch_test_data.sh";
  ASSERT_TRUE(is_dicom_seg_file(original));
  EXPECT_THROW(read_dicom_seg(original), Error);

  TempDir dir;
  DcmFileFormat file;
  ASSERT_TRUE(file.loadFile(original.string().c_str()).good());
  DcmDataset& d = *file.getDataset();
  DcmSequenceOfItems* per_frame = nullptr;
  ASSERT_TRUE(d.findAndGetSequence(DCM_PerFrameFunctionalGroupsSequence, per_frame).good());
  delete per_frame->remove(2);
  delete per_frame->remove(1);
  d.putAndInsertString(DCM_NumberOfFrames, "1");
  const fs::path fixed = dir / "liver.dcm";
  ASSERT_TRUE(file.saveFile(fixed.string().c_str(), EXS_LittleEndianExplicit).good());

  const Volume v = read_dicom_seg(fixed);
  ASSERT_EQ(v.size(), (Size3{512, 512, 1}));
  EXPECT_EQ(v.data.sum().item<int64_t>(), 36233);  // one segment: value 1
  EXPECT_EQ(v.data[0][0][300].sum().item<int64_t>(), 118);
  const at::Tensor rows = v.data[0][0].sum(1).nonzero();
  const at::Tensor cols = v.data[0][0].sum(0).nonzero();
  EXPECT_EQ(rows.min().item<int64_t>(), 145);
  EXPECT_EQ(rows.max().item<int64_t>(), 366);
  EXPECT_EQ(cols.min().item<int64_t>(), 79);
  EXPECT_EQ(cols.max().item<int64_t>(), 350);
  EXPECT_NEAR(v.geometry.spacing[0], 0.810547, 1e-6);
  EXPECT_NEAR(v.geometry.origin[0], -235.2, 1e-6);
  EXPECT_NEAR(v.geometry.origin[2], -128.69, 1e-6);
}

}  // namespace
}  // namespace unetx::io
