// Series assembly on several threads gives exactly what one thread gives: the same voxels,
// geometry and slice references, and the same first error when several files are bad.
#include <ATen/Parallel.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>

#include "io/dicom_export.h"
#include "io/dicom_parallel.h"
#include "io/dicom_series.h"
#include "io/error.h"
#include "temp_dir.h"
#include "thread_count.h"

namespace unetx::io {
namespace {

using test::TempDir;

using test::ThreadCount;

// int16 (1, 24, 9, 11) volume, value 1000 z + 20 y + x - 12000: every voxel differs.
Volume ramp_volume() {
  Volume v;
  const at::Tensor z = at::arange(24, at::kInt).view({1, 24, 1, 1});
  const at::Tensor y = at::arange(9, at::kInt).view({1, 1, 9, 1});
  const at::Tensor x = at::arange(11, at::kInt).view({1, 1, 1, 11});
  v.data = (z * 1000 + y * 20 + x - 12000).to(at::kShort);
  v.geometry.spacing = {0.5, 0.75, 2.0};
  v.geometry.origin = {10, -20, 30};
  return v;
}

DicomVolume read_with_threads(const fs::path& path, int threads) {
  at::set_num_threads(threads);
  return read_dicom(path);
}

void expect_same(const DicomVolume& a, const DicomVolume& b) {
  ASSERT_EQ(a.volume.data.scalar_type(), b.volume.data.scalar_type());
  EXPECT_TRUE(at::equal(a.volume.data, b.volume.data));
  EXPECT_EQ(a.volume.geometry.spacing, b.volume.geometry.spacing);
  EXPECT_EQ(a.volume.geometry.origin, b.volume.geometry.origin);
  EXPECT_EQ(a.volume.geometry.direction, b.volume.geometry.direction);
  EXPECT_EQ(a.warnings, b.warnings);
  ASSERT_EQ(a.info.slices.size(), b.info.slices.size());
  for (size_t z = 0; z < a.info.slices.size(); ++z) {
    EXPECT_EQ(a.info.slices[z].sop_instance_uid, b.info.slices[z].sop_instance_uid) << z;
  }
  EXPECT_EQ(a.volume.meta, b.volume.meta);
}

std::string error_of(const fs::path& path, int threads) {
  try {
    read_with_threads(path, threads);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(DicomParallel, ShuffledSeriesWithAGapReadsTheSameOnOneAndFourThreads) {
  ThreadCount keep;
  TempDir dir;
  const Volume written = ramp_volume();
  DicomExportOptions options;
  options.scramble_names = true;
  options.scramble_seed = 3;
  const auto files = write_dicom_series(written, dir.path(), options);
  fs::remove(files[10]);  // z = 10: interpolated from z = 9 and 11
  const DicomVolume one = read_with_threads(dir.path(), 1);
  const DicomVolume four = read_with_threads(dir.path(), 4);
  expect_same(one, four);
  // The ramp is linear in z, so the interpolated slice equals the written one.
  EXPECT_TRUE(at::equal(four.volume.data, written.data));
  EXPECT_EQ(four.warnings.size(), 1u);
}

TEST(DicomParallel, RescaledAndCompressedSeriesReadTheSameOnOneAndFourThreads) {
  ThreadCount keep;
  for (auto ts : {DicomTransferSyntax::kJpegLsLossless, DicomTransferSyntax::kExplicitBig}) {
    TempDir dir;
    Volume written = ramp_volume();
    written.data = written.data.to(at::kFloat) * 0.25f + 3.5f;  // slope/intercept in the files
    DicomExportOptions options;
    options.transfer_syntax = ts;
    write_dicom_series(written, dir.path(), options);
    const DicomVolume one = read_with_threads(dir.path(), 1);
    const DicomVolume four = read_with_threads(dir.path(), 4);
    ASSERT_EQ(four.volume.data.scalar_type(), at::kFloat);
    expect_same(one, four);
    // Values span -12000 * 0.25 + 3.5 .. 11210 * 0.25 + 3.5; slope = range / 65000.
    const double slope = (23210 * 0.25) / 65000;
    EXPECT_LE((four.volume.data - written.data).abs().max().item<double>(), 0.5 * slope + 1e-4);
  }
}

// Breaks `file` so that a folder scan still accepts it and only the full read refuses it:
// BitsAllocated 12 (unsupported) or no Rows attribute.
void break_file(const fs::path& file, bool drop_rows) {
  DcmFileFormat ff;
  ASSERT_TRUE(ff.loadFile(file.c_str()).good());
  DcmDataset& ds = *ff.getDataset();
  if (drop_rows) {
    ASSERT_TRUE(ds.findAndDeleteElement(DCM_Rows).good());
  } else {
    ASSERT_TRUE(ds.putAndInsertUint16(DCM_BitsAllocated, 12).good());
  }
  ASSERT_TRUE(ff.saveFile(file.c_str(), EXS_LittleEndianExplicit).good());
}

TEST(DicomParallel, FirstBadFileInFileOrderIsTheErrorOnAnyThreadCount) {
  ThreadCount keep;
  TempDir dir;
  const auto files = write_dicom_series(ramp_volume(), dir.path());
  // Two bad files; a file-by-file read meets slice 5 first.
  break_file(files[5], false);
  break_file(files[17], true);
  const std::string serial = error_of(dir.path(), 1);
  EXPECT_NE(serial.find(files[5].filename().string()), std::string::npos) << serial;
  EXPECT_NE(serial.find("unsupported BitsAllocated 12"), std::string::npos) << serial;
  EXPECT_EQ(serial.find('\n'), std::string::npos) << serial;
  for (int repeat = 0; repeat < 5; ++repeat) EXPECT_EQ(error_of(dir.path(), 4), serial);
}

TEST(DicomParallel, MismatchBeforeABadFileIsReportedFirst) {
  ThreadCount keep;
  TempDir dir;
  DicomExportOptions options;
  options.series_uid = "1.2.826.0.1.3680043.2.1125.1.77";
  Volume small;
  small.data = at::zeros({1, 1, 3, 3}, at::kShort);
  small.geometry.origin = {0, 0, -50};
  write_dicom_series(small, dir / "a", options);  // sorts first: a 3x3 slice
  const auto files = write_dicom_series(ramp_volume(), dir / "b", options);
  break_file(files[20], true);
  // Serially: file a/ is read, then b/slice 0 mismatches it before b/slice 20 is reached.
  const std::string four = error_of(dir.path(), 4);
  EXPECT_NE(four.find("mixed image sizes"), std::string::npos) << four;
  EXPECT_EQ(four, error_of(dir.path(), 1));
}

TEST(DicomParallel, ForEachIndexRunsEveryIndexOnceAndRethrowsTheLowestFailure) {
  std::vector<std::atomic<int>> runs(200);
  for_each_index(200, 4, [&](int64_t i) { ++runs[i]; });
  for (int i = 0; i < 200; ++i) EXPECT_EQ(runs[i].load(), 1) << i;

  std::vector<std::atomic<int>> seen(200);
  try {
    for_each_index(200, 4, [&](int64_t i) {
      ++seen[i];
      if (i == 37 || i == 150 || i == 151) throw std::runtime_error(std::to_string(i));
    });
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "37");
  }
  for (int i = 0; i <= 37; ++i) EXPECT_EQ(seen[i].load(), 1) << i;  // all below ran
}

}  // namespace
}  // namespace unetx::io
