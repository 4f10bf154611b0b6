// Conformance against files unetx did not write: pydicom's DICOM test set, with reference
// values computed independently by scripts/conformance/make_pydicom_fixture.py (pydicom +
// numpy, DCMTK's command-line decoders where pydicom has none) and checked in as JSON.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "io/dicom_series.h"
#include "io/error.h"
#include "io/image_io.h"
#include "temp_dir.h"

namespace unetx::io {
namespace {

using nlohmann::json;

const fs::path kFiles = fs::path(UNETX_TEST_DATA) / "external" / "pydicom";
const fs::path kFixture = fs::path(UNETX_TEST_DATA) / "conformance" / "pydicom_fixture.json";

json load_fixture() {
  std::ifstream in(kFixture);
  return json::parse(in);
}

// Fails (never skips) when the external data was not fetched.
bool have_test_files() {
  if (fs::is_directory(kFiles)) return true;
  ADD_FAILURE() << kFiles << " is missing: run scripts/fetch_test_data.sh";
  return false;
}

// One line, naming the file: what a command prints for a failed case.
void expect_one_line_error(const std::string& name, const std::function<void()>& read) {
  try {
    read();
    ADD_FAILURE() << name << ": expected an error, the file was read";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(name), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

// `source`: the file itself, or a folder holding a copy of it (read through the folder scan,
// whose parsed head replaces the second parse of the file when its pixels are stored plainly).
void check_image(const std::string& name, const json& want, const fs::path& source) {
  SCOPED_TRACE(name + " (" + want["transfer_syntax"].get<std::string>() + ", decoded by " +
               want["decoded_by"].get<std::string>() + ") read from " + source.string());
  DicomVolume read;
  try {
    read = read_dicom(source);
  } catch (const Error& e) {
    ADD_FAILURE() << e.what();
    return;
  }
  const at::Tensor& data = read.volume.data;
  ASSERT_EQ(data.dim(), 4);
  EXPECT_EQ(data.size(0), want["channels"].get<int64_t>());
  EXPECT_EQ(data.size(1), want["frames"].get<int64_t>());
  EXPECT_EQ(data.size(2), want["rows"].get<int64_t>());
  EXPECT_EQ(data.size(3), want["columns"].get<int64_t>());
  EXPECT_EQ(dtype_name(data.scalar_type()), want["dtype"].get<std::string>());
  const Geometry& g = read.volume.geometry;
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(g.spacing[i], want["spacing"][i].get<double>(), 1e-6) << "spacing " << i;
    EXPECT_NEAR(g.origin[i], want["origin"][i].get<double>(), 1e-6) << "origin " << i;
  }
  for (int i = 0; i < 9; ++i) {
    EXPECT_NEAR(g.direction[i], want["direction"][i].get<double>(), 1e-6) << "direction " << i;
  }
  if (data.size(0) != want["channels"].get<int64_t>() ||
      data.size(1) != want["frames"].get<int64_t>()) {
    return;  // values cannot be compared on a different shape
  }
  const at::Tensor values = data.to(at::kDouble);
  const double n = static_cast<double>(values.numel());
  const bool lossy = want["lossy"].get<bool>();
  // Lossless: the same numbers up to float32 rounding of rescaled values. Lossy JPEG: two
  // decoders (DCMTK's IJG vs Pillow's libjpeg) may differ by a few grey levels per voxel.
  const double voxel_tol = lossy ? 4.0 : 1e-6 + 1e-6 * want["max"].get<double>();
  EXPECT_NEAR(values.min().item<double>(), want["min"].get<double>(), voxel_tol);
  EXPECT_NEAR(values.max().item<double>(), want["max"].get<double>(), voxel_tol);
  EXPECT_NEAR(values.sum().item<double>() / n, want["sum"].get<double>() / n,
              lossy ? 1.0 : 1e-6 * (1 + std::abs(want["max"].get<double>())));
  EXPECT_NEAR(
      values.pow(2).sum().item<double>() / n, want["sum_squares"].get<double>() / n,
      lossy ? 2.0 * want["max"].get<double>() : 1e-5 * (1 + want["sum_squares"].get<double>() / n));
  for (const json& probe : want["probes"]) {
    const auto& i = probe["index"];
    EXPECT_NEAR(
        values[i[0].get<int64_t>()][i[1].get<int64_t>()][i[2].get<int64_t>()][i[3].get<int64_t>()]
            .item<double>(),
        probe["value"].get<double>(), voxel_tol)
        << "voxel (c, z, y, x) = " << i.dump();
  }
}

TEST(DicomConformance, EveryPydicomTestFileBehavesAsTheFixtureSays) {
  if (!have_test_files()) return;
  const json fixture = load_fixture();
  int images = 0, errors = 0, skips = 0;
  for (const auto& [name, want] : fixture["files"].items()) {
    const std::string expect = want["expect"];
    if (expect == "image") {
      check_image(name, want, kFiles / name);
      test::TempDir dir;
      fs::copy_file(kFiles / name, dir / name);
      check_image(name, want, dir.path());
      ++images;
    } else if (expect == "error") {
      SCOPED_TRACE(name + ": " + want["why"].get<std::string>());
      expect_one_line_error(name, [&] { read_dicom(kFiles / name); });
      ++errors;
    } else if (expect == "skip") {
      SCOPED_TRACE(name);
      test::TempDir dir;
      fs::copy_file(kFiles / name, dir / name);
      const DicomScan scan = scan_dicom_folder(dir.path());
      EXPECT_TRUE(scan.series.empty());
      ASSERT_EQ(scan.notes.size(), 1u);
      EXPECT_NE(scan.notes[0].find(name + ": skipped"), std::string::npos) << scan.notes[0];
      expect_one_line_error(name, [&] { read_dicom(kFiles / name); });
      ++skips;
    } else {  // "any": no independent reference; reading must not crash
      SCOPED_TRACE(name + ": " + want["why"].get<std::string>());
      try {
        read_dicom(kFiles / name);
      } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << e.what();
      }
    }
  }
  EXPECT_GE(images, 40);
  EXPECT_GE(errors, 5);
  EXPECT_GE(skips, 10);
}

TEST(DicomConformance, BrokenFilesGiveOneLineErrorsNamingTheFile) {
  if (!have_test_files()) return;
  for (const char* name : {"MR_truncated.dcm", "no_meta.dcm", "meta_missing_tsyntax.dcm",
                           "badVR.dcm", "rtplan_truncated.dcm"}) {
    SCOPED_TRACE(name);
    expect_one_line_error(name, [&] { read_dicom(kFiles / name); });
  }
}

TEST(DicomConformance, NonImageObjectsAreSkippedByTheScanWithANote) {
  if (!have_test_files()) return;
  test::TempDir dir;
  const std::vector<std::string> names = {"rtstruct.dcm", "test-SR.dcm", "rtplan.dcm",
                                          "waveform_ecg.dcm", "MR_small.dcm"};
  for (const auto& name : names) fs::copy_file(kFiles / name, dir / name);
  const DicomScan scan = scan_dicom_folder(dir.path());
  ASSERT_EQ(scan.series.size(), 1u);
  EXPECT_EQ(scan.series[0].modality, "MR");
  ASSERT_EQ(scan.notes.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_NE(scan.notes[i].find("skipped, not an image"), std::string::npos) << scan.notes[i];
  }
  // The one image series of the folder is what read_dicom(folder) returns.
  EXPECT_EQ(read_dicom(dir.path()).volume.data.size(3), 64);
}

TEST(DicomConformance, DicomdirTreeScansIntoItsSeries) {
  if (!have_test_files()) return;
  const json want = load_fixture()["dicomdirtests"];
  const DicomScan scan = scan_dicom_folder(kFiles / "dicomdirtests");
  ASSERT_EQ(scan.series.size(), want["series"].size());
  for (const DicomSeriesFiles& series : scan.series) {
    ASSERT_TRUE(want["series"].contains(series.series_uid)) << series.series_uid;
    EXPECT_EQ(series.files.size(), want["series"][series.series_uid].get<size_t>())
        << series.series_uid;
  }
  EXPECT_EQ(scan.notes.size(), want["skipped"].get<size_t>());
}

}  // namespace
}  // namespace unetx::io
