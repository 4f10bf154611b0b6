// DICOM SEG through the binary: `evaluate` accepts a SEG as the reference label (and as the
// prediction) and maps it voxel for voxel onto the NIfTI grid; `predict --format dicom-seg`
// writes a SEG that holds the same mask as the NIfTI output, and fails a non-DICOM case with
// one clear line.
#include "io/dicom_seg.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <gtest/gtest.h>

#include <fstream>

#include "cli_helpers.h"
#include "io/csv.h"
#include "io/dicom_export.h"
#include "io/image_io.h"
#include "io/manifest.h"

namespace unetx::testing {
namespace {

std::string get(DcmItem& item, const DcmTagKey& tag) {
  OFString value;
  item.findAndGetOFStringArray(tag, value);
  return value.c_str();
}

// Writes `image` as a CT series and returns what a DICOM reader reports about it (read back
// with DCMTK here, so this test does not depend on unetx's series reader).
io::DicomSeriesInfo export_series(const io::Volume& image, const fs::path& folder) {
  io::DicomSeriesInfo info;
  for (const auto& f : io::write_dicom_series(image, folder)) {
    DcmFileFormat file;
    EXPECT_TRUE(file.loadFile(f.string().c_str()).good()) << f;
    DcmDataset& d = *file.getDataset();
    info.slices.push_back({get(d, DCM_SOPClassUID), get(d, DCM_SOPInstanceUID), 0});
    info.study_uid = get(d, DCM_StudyInstanceUID);
    info.series_uid = get(d, DCM_SeriesInstanceUID);
    info.frame_of_reference_uid = get(d, DCM_FrameOfReferenceUID);
    if (info.first_file.empty()) info.first_file = f;
  }
  return info;
}

double dice(const at::Tensor& a, const at::Tensor& b, int label) {
  const at::Tensor x = a.eq(label), y = b.eq(label);
  return 2.0 * (x & y).sum().item<double>() / (x.sum().item<double>() + y.sum().item<double>());
}

// metrics.csv rows of one case: label -> dice text.
std::map<std::string, double> dice_by_label(const fs::path& metrics, const std::string& id) {
  const io::CsvTable t = io::read_csv(metrics);
  std::map<std::string, double> out;
  for (const auto& row : t.rows)
    if (row[0] == id) out[row[1]] = std::stod(row[2]);
  return out;
}

TEST(CliDicomSeg, EvaluateMapsSegReferenceAndPredictionOntoTheNiftiGrid) {
  const fs::path d = fresh_dir("dicom_seg_eval");
  auto r = unetx("synth -o " + (d / "c").string() + " --cases 1 --size 20,16,8 --labels 2", d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const io::Volume image = io::read_image(d / "c/images/phantom_0000.nii.gz");
  const io::Volume labels = io::read_image(d / "c/labels/phantom_0000.nii.gz");
  ASSERT_GT(labels.data.eq(2).sum().item<int64_t>(), 0);
  const io::DicomSeriesInfo info = export_series(image, d / "dicom");
  io::write_dicom_seg(labels, info, {"a", "b"}, d / "seg.dcm");

  // Prediction: the reference with label 1 removed from its middle slice.
  io::Volume pred = labels;
  pred.data = labels.data.clone();
  pred.data[0][4].masked_fill_(pred.data[0][4].eq(1), 0);
  io::write_image(pred, d / "pred.nii.gz");
  const double expected = dice(pred.data, labels.data, 1);
  ASSERT_LT(expected, 0.999);

  std::ofstream(d / "ref.csv") << "case_id,image,label\nphantom_0000,c/images/phantom_0000.nii.gz,"
                                  "seg.dcm\n";
  std::ofstream(d / "pred.csv") << "case_id,image\nphantom_0000,pred.nii.gz\n";
  r = unetx("evaluate -p " + (d / "pred.csv").string() + " -r " + (d / "ref.csv").string() +
                " -o " + (d / "e1").string(),
            d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto dices = dice_by_label(d / "e1/metrics.csv", "phantom_0000");
  EXPECT_NEAR(dices.at("1"), expected, 1e-5);
  EXPECT_NEAR(dices.at("2"), 1.0, 1e-9);

  // The SEG as the prediction, against the NIfTI labels it was made from: perfect.
  std::ofstream(d / "seg_pred.csv") << "case_id,image\nphantom_0000,seg.dcm\n";
  std::ofstream(d / "nifti_ref.csv")
      << "case_id,image,label\nphantom_0000,c/images/phantom_0000.nii.gz,"
         "c/labels/phantom_0000.nii.gz\n";
  r = unetx("evaluate -p " + (d / "seg_pred.csv").string() + " -r " +
                (d / "nifti_ref.csv").string() + " -o " + (d / "e2").string(),
            d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  dices = dice_by_label(d / "e2/metrics.csv", "phantom_0000");
  EXPECT_EQ(dices.size(), 2u);
  EXPECT_NEAR(dices.at("1"), 1.0, 1e-9);
  EXPECT_NEAR(dices.at("2"), 1.0, 1e-9);
}

TEST(CliDicomSeg, PredictWritesSegMatchingTheNiftiMaskAndFailsNonDicomCases) {
  const fs::path d = fresh_dir("dicom_seg_predict");
  auto r = unetx("synth -o " + (d / "c").string() + " --cases 2 --size 16,16,8", d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const io::Volume image = io::read_image(d / "c/images/phantom_0000.nii.gz");
  const io::DicomSeriesInfo info = export_series(image, d / "dicom");
  r = unetx("info " + (d / "dicom").string(), d / "info");
  ASSERT_EQ(r.exit_code, 0) << "unetx info cannot read the DICOM series: " << r.err;

  r = unetx("preprocess -i " + (d / "c/manifest.csv").string() + " -o " + (d / "p").string() +
                " --features 4,8 --patch 16,16,8 --label-names background,blob",
            d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = unetx("train -i " + (d / "p").string() + " -o " + (d / "m").string() +
                " --epochs 1 --iterations 1 --val-fraction 0.5",
            d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string ckpt = (d / "m/checkpoint_last.pt").string();
  std::ofstream(d / "cohort.csv") << "case_id,image\nfromdicom,dicom\n"
                                     "fromnifti,c/images/phantom_0001.nii.gz\n";
  r = unetx("predict -i " + (d / "cohort.csv").string() + " -m " + ckpt + " -o " +
                (d / "seg").string() + " --format dicom-seg",
            d);
  EXPECT_EQ(r.exit_code, 1) << r.err;  // the NIfTI case fails, the DICOM case does not
  const auto rows = io::read_manifest(d / "seg/manifest.csv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].status, "ok");
  EXPECT_EQ(rows[0].columns.at("mask"), "fromdicom.dcm");
  EXPECT_NE(rows[1].status.find("needs a DICOM image series"), std::string::npos) << rows[1].status;
  EXPECT_FALSE(fs::exists(d / "seg/fromnifti.dcm"));

  std::ofstream(d / "dicom_only.csv") << "case_id,image\nfromdicom,dicom\n";
  r = unetx("predict -i " + (d / "dicom_only.csv").string() + " -m " + ckpt + " -o " +
                (d / "nifti").string(),
            d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const io::Volume mask = io::read_image(d / "nifti/fromdicom.nii.gz");
  const io::Volume seg = io::read_dicom_seg(d / "seg/fromdicom.dcm", mask.geometry, mask.size());
  EXPECT_TRUE(at::equal(seg.data, mask.data.to(at::kByte)));

  DcmFileFormat file;
  ASSERT_TRUE(file.loadFile((d / "seg/fromdicom.dcm").string().c_str()).good());
  DcmDataset& ds = *file.getDataset();
  EXPECT_EQ(get(ds, DCM_StudyInstanceUID), info.study_uid);
  EXPECT_EQ(get(ds, DCM_FrameOfReferenceUID), info.frame_of_reference_uid);
  DcmItem* segment = nullptr;
  ASSERT_TRUE(ds.findAndGetSequenceItem(DCM_SegmentSequence, segment, 0).good());
  EXPECT_EQ(get(*segment, DCM_SegmentLabel), "blob");  // the plan's label name
  EXPECT_EQ(temp_files_under(d / "seg"), 0);
}

TEST(CliDicomSeg, UnknownFormatIsAUsageError) {
  const fs::path d = fresh_dir("dicom_seg_format");
  auto r = unetx("predict -i x.csv -m y.pt -o out --format dicom", d);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--format dicom: expected nifti or dicom-seg"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace unetx::testing
