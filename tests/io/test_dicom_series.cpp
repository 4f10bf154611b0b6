// DICOM series written by unetx's exporter and read back: slice order and geometry come from
// positions (not names), values survive every transfer syntax, problems are named.
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "geometry_fixture.h"
#include "io/dicom_export.h"
#include "io/dicom_series.h"
#include "io/error.h"
#include "temp_dir.h"

namespace unetx::io {
namespace {

using test::TempDir;

// int16 volume (1, 5, 6, 7) whose voxel value encodes its index: 100 z + 10 y + x - 300.
Volume index_volume(const Geometry& geometry) {
  Volume v;
  v.data = at::arange(5 * 6 * 7, at::kShort).view({1, 5, 6, 7});
  const at::Tensor z = at::arange(5, at::kShort).view({1, 5, 1, 1});
  const at::Tensor y = at::arange(6, at::kShort).view({1, 1, 6, 1});
  const at::Tensor x = at::arange(7, at::kShort).view({1, 1, 1, 7});
  v.data = (z * 100 + y * 10 + x - 300).to(at::kShort);
  v.geometry = geometry;
  return v;
}

// A right-handed oblique geometry (rotation about z by 30 degrees, then tilted about x).
Geometry oblique_geometry() {
  const double c = std::cos(M_PI / 6), s = std::sin(M_PI / 6);
  const double ct = std::cos(0.3), st = std::sin(0.3);
  // R = Rx(0.3) * Rz(30deg), columns are the index axes.
  Geometry g;
  g.spacing = {0.7, 1.3, 2.5};
  g.origin = {-12.5, 30.25, 7.0};
  g.direction = {c, -s, 0, ct * s, ct * c, -st, st * s, st * c, ct};
  return g;
}

void expect_geometry_near(const Geometry& a, const Geometry& b, double tol) {
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(a.spacing[i], b.spacing[i], tol) << "spacing " << i;
    EXPECT_NEAR(a.origin[i], b.origin[i], tol) << "origin " << i;
  }
  for (int i = 0; i < 9; ++i) EXPECT_NEAR(a.direction[i], b.direction[i], tol) << "direction " << i;
}

TEST(DicomSeries, ShuffledFileNamesGiveGeometricOrderAndExactGeometry) {
  TempDir dir;
  const Volume written = index_volume(oblique_geometry());
  DicomExportOptions options;
  options.scramble_names = true;
  options.scramble_instance_numbers = true;
  options.scramble_seed = 7;
  const auto files = write_dicom_series(written, dir.path(), options);
  ASSERT_EQ(files.size(), 5u);
  // The scramble really does change the name order (otherwise the test proves nothing).
  auto sorted = files;
  std::sort(sorted.begin(), sorted.end());
  ASSERT_NE(sorted, files);

  const DicomVolume read = read_dicom(dir.path());
  ASSERT_EQ(read.volume.data.scalar_type(), at::kShort);
  EXPECT_TRUE(at::equal(read.volume.data, written.data));
  expect_geometry_near(read.volume.geometry, written.geometry, 1e-9);
  EXPECT_TRUE(read.warnings.empty());
  EXPECT_EQ(read.volume.meta.at("modality"), "CT");
  EXPECT_EQ(read.volume.meta.at("pixel_type"), "int16");
  EXPECT_EQ(read.info.slices.size(), 5u);
}

TEST(DicomSeries, LeftHandedStackIsReadRightHandedWithTheSamePhysicalVoxels) {
  TempDir dir;
  const Volume written = index_volume(test::rotated_geometry());  // z axis flipped
  write_dicom_series(written, dir.path());
  const DicomVolume read = read_dicom(dir.path());
  // Read back in the order of the normal: z reversed, origin at the last written slice.
  EXPECT_TRUE(at::equal(read.volume.data, written.data.flip({1})));
  const Vec3 last = written.geometry.index_to_physical({0, 0, 4});
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(read.volume.geometry.origin[i], last[i], 1e-9);
  EXPECT_NEAR(read.volume.geometry.direction[8], 1.0, 1e-12);  // normal = +z
  const Vec3 p_written = written.geometry.index_to_physical({3, 2, 1});
  const Vec3 p_read = read.volume.geometry.index_to_physical({3, 2, 3});
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(p_written[i], p_read[i], 1e-9);
}

TEST(DicomSeries, EveryTransferSyntaxRoundTripsExactly) {
  const Volume written = index_volume(oblique_geometry());
  for (auto ts : {DicomTransferSyntax::kExplicitLittle, DicomTransferSyntax::kImplicitLittle,
                  DicomTransferSyntax::kExplicitBig, DicomTransferSyntax::kDeflated,
                  DicomTransferSyntax::kRle, DicomTransferSyntax::kJpegLsLossless,
                  DicomTransferSyntax::kJpegLossless}) {
    TempDir dir;
    DicomExportOptions options;
    options.transfer_syntax = ts;
    options.modality = "MR";
    write_dicom_series(written, dir.path(), options);
    const DicomVolume read = read_dicom(dir.path());
    EXPECT_TRUE(at::equal(read.volume.data, written.data))
        << "transfer syntax " << read.volume.meta.at("transfer_syntax");
    EXPECT_EQ(read.volume.meta.at("modality"), "MR");
  }
}

TEST(DicomSeries, FloatVolumeRoundTripsWithinHalfASlope) {
  TempDir dir;
  Volume written = index_volume(oblique_geometry());
  written.data = written.data.to(at::kFloat) * 0.37f + 1000.25f;
  write_dicom_series(written, dir.path());
  const DicomVolume read = read_dicom(dir.path());
  ASSERT_EQ(read.volume.data.scalar_type(), at::kFloat);
  const double slope = std::stod(read.volume.meta.at("rescale_slope"));
  // Stored index values span -300 .. 156, so hi - lo = 456 * 0.37 and slope = that / 65000.
  EXPECT_NEAR(slope, 456 * 0.37 / 65000, 1e-9);
  EXPECT_LE((read.volume.data - written.data).abs().max().item<double>(), 0.5 * slope + 1e-4);
}

TEST(DicomSeries, RescaleIsAppliedToStoredValues) {
  TempDir dir;
  // int32 values out of the int16 range force a rescale: lo = -100000, hi = 100000 -> the
  // intercept is 0 and slope 200000 / 65000 = 3.076923077 (10 significant digits in DS).
  Volume written = index_volume(oblique_geometry());
  written.data = at::zeros({1, 2, 2, 2}, at::kInt);
  written.data[0][0][0][0] = -100000;
  written.data[0][1][1][1] = 100000;
  written.data[0][1][0][1] = 1000;
  write_dicom_series(written, dir.path());
  const DicomVolume read = read_dicom(dir.path());
  ASSERT_EQ(read.volume.data.scalar_type(), at::kFloat);
  const double slope = std::stod(read.volume.meta.at("rescale_slope"));
  EXPECT_NEAR(slope, 3.0769230769, 1e-9);
  EXPECT_EQ(read.volume.meta.at("rescale_intercept"), "0");
  // Stored round(1000 / slope) = 325 -> 325 * slope = 999.99999...
  EXPECT_NEAR(read.volume.data[0][1][0][1].item<double>(), 325 * slope, 1e-3);
  EXPECT_NEAR(read.volume.data[0][0][0][0].item<double>(), -32500 * slope, 1e-2);
  EXPECT_NEAR(read.volume.data[0][1][1][1].item<double>(), 32500 * slope, 1e-2);
}

TEST(DicomSeries, MissingMiddleSliceIsInterpolatedWithAWarning) {
  TempDir dir;
  Geometry g;
  g.spacing = {1.0, 1.0, 2.0};
  g.origin = {0, 0, -10};
  const Volume written = index_volume(g);
  const auto files = write_dicom_series(written, dir.path());
  fs::remove(files[2]);  // z = 2 at position -6 mm
  const DicomVolume read = read_dicom(dir.path());
  ASSERT_EQ(read.volume.data.size(1), 5);
  EXPECT_NEAR(read.volume.geometry.spacing[2], 2.0, 1e-12);
  ASSERT_EQ(read.warnings.size(), 1u);
  EXPECT_NE(read.warnings[0].find("1 slice(s) missing between positions -8 and -4 mm"),
            std::string::npos)
      << read.warnings[0];
  // Slice 2 = mean of slices 1 and 3, which is exactly slice 2's value (linear in z).
  EXPECT_TRUE(at::equal(read.volume.data, written.data));
  EXPECT_TRUE(read.info.slices[2].sop_instance_uid.empty());
  EXPECT_FALSE(read.info.slices[1].sop_instance_uid.empty());
}

TEST(DicomSeries, MixedSizesAreAnErrorNamingTheFolder) {
  TempDir dir;
  DicomExportOptions options;
  options.series_uid = "1.2.826.0.1.3680043.2.1125.1.99";
  options.study_uid = "1.2.826.0.1.3680043.2.1125.1.98";
  write_dicom_series(index_volume(Geometry{}), dir / "a", options);
  Volume small;
  small.data = at::zeros({1, 1, 3, 3}, at::kShort);
  small.geometry.origin = {0, 0, 20};
  write_dicom_series(small, dir / "b", options);
  try {
    read_dicom(dir.path());
    FAIL() << "mixed sizes were accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("mixed image sizes"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(dir.path().string()), std::string::npos) << e.what();
  }
}

TEST(DicomSeries, DuplicatePositionsAreAnError) {
  TempDir dir;
  DicomExportOptions options;
  options.series_uid = "1.2.826.0.1.3680043.2.1125.1.97";
  write_dicom_series(index_volume(Geometry{}), dir / "a", options);
  write_dicom_series(index_volume(Geometry{}), dir / "b", options);
  EXPECT_THROW(
      {
        try {
          read_dicom(dir.path());
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find("duplicate slice position"), std::string::npos);
          throw;
        }
      },
      Error);
}

TEST(DicomSeries, MixedOrientationsAreAnError) {
  TempDir dir;
  DicomExportOptions options;
  options.series_uid = "1.2.826.0.1.3680043.2.1125.1.96";
  write_dicom_series(index_volume(Geometry{}), dir / "a", options);
  Volume other = index_volume(oblique_geometry());
  write_dicom_series(other, dir / "b", options);
  try {
    read_dicom(dir.path());
    FAIL() << "mixed orientations were accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("mixed orientations"), std::string::npos) << e.what();
  }
}

TEST(DicomSeries, UnevenSpacingWarnsWithTheSteps) {
  TempDir dir;
  Geometry g;
  g.spacing = {1, 1, 2};
  const auto files = write_dicom_series(index_volume(g), dir / "a");
  // Move the last slice 0.5 mm further: steps 2, 2, 2, 2.5.
  Volume last = index_volume(g);
  last.data = last.data.slice(1, 4, 5);
  last.geometry.origin = {0, 0, 8.5};
  fs::remove(files[4]);
  DicomScan scan = scan_dicom_folder(dir.path());
  ASSERT_EQ(scan.series.size(), 1u);
  DicomExportOptions same;
  same.series_uid = scan.series[0].series_uid;
  write_dicom_series(last, dir / "b", same);
  const DicomVolume read = read_dicom(dir.path());
  ASSERT_EQ(read.warnings.size(), 1u);
  EXPECT_NE(read.warnings[0].find("uneven slice spacing: steps from 2 to 2.5 mm (median 2 mm)"),
            std::string::npos)
      << read.warnings[0];
}

TEST(DicomSeries, ScanGroupsSeriesAndSkipsNonDicomFiles) {
  TempDir dir;
  write_dicom_series(index_volume(Geometry{}), dir / "s1");
  write_dicom_series(index_volume(oblique_geometry()), dir / "deeper" / "s2");
  test::write_file(dir / "notes.txt", "not a DICOM file at all, just text\n");
  const DicomScan scan = scan_dicom_folder(dir.path());
  ASSERT_EQ(scan.series.size(), 2u);
  EXPECT_EQ(scan.series[0].files.size(), 5u);
  EXPECT_EQ(scan.series[1].files.size(), 5u);
  ASSERT_EQ(scan.notes.size(), 1u);
  EXPECT_NE(scan.notes[0].find("notes.txt: skipped"), std::string::npos) << scan.notes[0];
  EXPECT_TRUE(is_dicom_folder(dir.path()));
  EXPECT_FALSE(is_dicom_file(dir / "notes.txt"));
  EXPECT_TRUE(is_dicom_file(scan.series[0].files[0]));
  try {
    read_dicom(dir.path());
    FAIL() << "two series in one folder were accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("holds 2 image series"), std::string::npos) << e.what();
  }
}

// Rewrites one attribute of every exported file, as another vendor's writer would have.
void set_in_files(const std::vector<fs::path>& files, const DcmTagKey& tag, const char* value) {
  for (const fs::path& file : files) {
    DcmFileFormat ff;
    ASSERT_TRUE(ff.loadFile(file.c_str()).good());
    if (tag == DCM_BitsStored || tag == DCM_HighBit) {
      ASSERT_TRUE(ff.getDataset()->putAndInsertUint16(tag, std::stoi(value)).good());
    } else {
      ASSERT_TRUE(ff.getDataset()->putAndInsertString(tag, value).good());
    }
    ASSERT_TRUE(ff.saveFile(file.c_str(), EXS_LittleEndianExplicit).good());
  }
}

TEST(DicomSeries, Monochrome1IsInvertedWithinTheStoredRange) {
  TempDir dir;
  const Volume written = index_volume(Geometry{});
  set_in_files(write_dicom_series(written, dir.path()), DCM_PhotometricInterpretation,
               "MONOCHROME1");
  const DicomVolume read = read_dicom(dir.path());
  // Signed 16 bits stored: lo + hi = -32768 + 32767 = -1, so v' = -1 - v.
  EXPECT_TRUE(at::equal(read.volume.data, (-1 - written.data).to(at::kShort)));
}

TEST(DicomSeries, BitsStoredBelowBitsAllocatedIsMaskedAndSignExtended) {
  TempDir dir;
  const Volume written = index_volume(Geometry{});  // -300 .. 156 fits 12-bit two's complement
  const auto files = write_dicom_series(written, dir.path());
  set_in_files(files, DCM_BitsStored, "12");
  set_in_files(files, DCM_HighBit, "11");
  const DicomVolume read = read_dicom(dir.path());
  EXPECT_EQ(read.volume.meta.at("bits_stored"), "12");
  EXPECT_TRUE(at::equal(read.volume.data, written.data));
}

TEST(DicomSeries, ExportRefusesMultiChannelVolumes) {
  TempDir dir;
  Volume v;
  v.data = at::zeros({2, 2, 2, 2}, at::kShort);
  EXPECT_THROW(write_dicom_series(v, dir.path()), Error);
}

}  // namespace
}  // namespace unetx::io
