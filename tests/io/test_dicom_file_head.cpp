// The folder scan keeps each file's parsed head, and the series read uses it in place of a
// second parse: the pixel bytes are found where DICOM's encoding puts them, a read through the
// heads equals the full parse, and a file changed after the scan is parsed again.
#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <fstream>

#include "io/dicom_export.h"
#include "io/dicom_file_head.h"
#include "io/dicom_series.h"
#include "io/error.h"
#include "temp_dir.h"
#include "thread_count.h"

namespace unetx::io {
namespace {

using test::TempDir;
using test::ThreadCount;

// int16 (1, 12, 40, 64) volume, value 1000 z + 20 y + x - 6000 (+ offset): every voxel
// differs. A slice holds 5120 bytes, more than the scan loads (4096), so the pixel data stays
// on disk during the scan.
Volume ramp_volume(int offset = 0) {
  Volume v;
  const at::Tensor z = at::arange(12, at::kInt).view({1, 12, 1, 1});
  const at::Tensor y = at::arange(40, at::kInt).view({1, 1, 40, 1});
  const at::Tensor x = at::arange(64, at::kInt).view({1, 1, 1, 64});
  v.data = (z * 1000 + y * 20 + x - 6000 + offset).to(at::kShort);
  v.geometry.spacing = {0.5, 0.75, 2.0};
  v.geometry.origin = {10, -20, 30};
  return v;
}

DicomSeriesFiles only_series(const fs::path& folder) {
  DicomScan scan = scan_dicom_folder(folder);
  EXPECT_EQ(scan.series.size(), 1u);
  return scan.series.at(0);
}

std::vector<char> file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Moves a file's modification time away from what the scan saw, as an edit would.
void touch_later(const fs::path& path) {
  fs::last_write_time(path, fs::last_write_time(path) + std::chrono::seconds(5));
}

TEST(DicomFileHead, UncompressedLittleEndianPixelsAreFoundAtTheEndOfTheFile) {
  for (DicomTransferSyntax syntax :
       {DicomTransferSyntax::kExplicitLittle, DicomTransferSyntax::kImplicitLittle}) {
    TempDir dir;
    const Volume written = ramp_volume();
    DicomExportOptions options;
    options.transfer_syntax = syntax;
    const auto files = write_dicom_series(written, dir.path(), options);
    const DicomSeriesFiles series = only_series(dir.path());
    ASSERT_EQ(series.heads.size(), files.size());
    const int64_t plane_bytes = 40 * 64 * 2;
    for (size_t i = 0; i < series.files.size(); ++i) {
      ASSERT_NE(series.heads[i], nullptr) << series.files[i];
      const DicomFileHead& head = *series.heads[i];
      EXPECT_EQ(head.header.rows, 40);
      EXPECT_EQ(head.header.columns, 64);
      // The writer puts PixelData last, so its value is the file's last bytes.
      const std::vector<char> bytes = file_bytes(series.files[i]);
      EXPECT_EQ(head.pixel_offset, static_cast<int64_t>(bytes.size()) - plane_bytes);
      EXPECT_EQ(head.stamp.size, static_cast<int64_t>(bytes.size()));
      std::vector<uint8_t> buffer;
      const uint8_t* pixels = read_plain_pixels(head, buffer);
      EXPECT_EQ(std::memcmp(pixels, bytes.data() + head.pixel_offset, plane_bytes), 0);
    }
    // Files are named by z: the first holds slice 0, whose first two values are -6000, -5999.
    std::vector<uint8_t> buffer;
    int16_t first[2];
    std::memcpy(first, read_plain_pixels(*series.heads[0], buffer), sizeof first);
    EXPECT_EQ(first[0], -6000);
    EXPECT_EQ(first[1], -5999);
  }
}

TEST(DicomFileHead, EncodedPixelsKeepTheHeadButNoPlainOffset) {
  for (DicomTransferSyntax syntax :
       {DicomTransferSyntax::kExplicitBig, DicomTransferSyntax::kDeflated,
        DicomTransferSyntax::kRle, DicomTransferSyntax::kJpegLsLossless}) {
    TempDir dir;
    DicomExportOptions options;
    options.transfer_syntax = syntax;
    write_dicom_series(ramp_volume(), dir.path(), options);
    const DicomSeriesFiles series = only_series(dir.path());
    ASSERT_EQ(series.heads.size(), series.files.size());
    for (const auto& head : series.heads) {
      ASSERT_NE(head, nullptr);
      EXPECT_EQ(head->pixel_offset, -1) << static_cast<int>(syntax);
      EXPECT_EQ(head->header.rows, 40);
    }
    // ... and such a series reads as written, through the full parse.
    EXPECT_TRUE(at::equal(read_dicom_series(series).volume.data, ramp_volume().data));
  }
}

TEST(DicomFileHead, ReadingThroughTheHeadsEqualsTheFullParseOnAnyThreadCount) {
  ThreadCount keep;
  TempDir dir;
  DicomExportOptions options;
  options.scramble_names = true;
  const Volume written = ramp_volume();
  write_dicom_series(written, dir.path(), options);
  const DicomSeriesFiles series = only_series(dir.path());
  DicomSeriesFiles unparsed = series;
  unparsed.heads.clear();
  for (int threads : {1, 3}) {
    at::set_num_threads(threads);
    const DicomVolume fast = read_dicom_series(series);
    const DicomVolume full = read_dicom_series(unparsed);
    EXPECT_TRUE(at::equal(fast.volume.data, written.data));
    EXPECT_TRUE(at::equal(fast.volume.data, full.volume.data));
    EXPECT_EQ(fast.volume.geometry.origin, full.volume.geometry.origin);
    EXPECT_EQ(fast.volume.geometry.spacing, full.volume.geometry.spacing);
    EXPECT_EQ(fast.volume.meta, full.volume.meta);
    ASSERT_EQ(fast.info.slices.size(), full.info.slices.size());
    for (size_t z = 0; z < fast.info.slices.size(); ++z) {
      EXPECT_EQ(fast.info.slices[z].sop_instance_uid, full.info.slices[z].sop_instance_uid);
    }
  }
}

TEST(DicomFileHead, AFileRewrittenAfterTheScanIsParsedAgain) {
  TempDir dir, other;
  const auto files = write_dicom_series(ramp_volume(), dir.path());
  const DicomSeriesFiles series = only_series(dir.path());
  // Slice 5 is replaced by the same slice of a series whose values are 7 higher.
  const auto replacement = write_dicom_series(ramp_volume(7), other.path());
  fs::copy_file(replacement[5], files[5], fs::copy_options::overwrite_existing);
  touch_later(files[5]);
  const at::Tensor read = read_dicom_series(series).volume.data;
  at::Tensor expected = ramp_volume().data.clone();
  expected.select(1, 5).add_(7);
  EXPECT_TRUE(at::equal(read, expected));
}

TEST(DicomFileHead, AFileTruncatedAfterTheScanIsAOneLineErrorNamingIt) {
  TempDir dir;
  const auto files = write_dicom_series(ramp_volume(), dir.path());
  const DicomSeriesFiles series = only_series(dir.path());
  fs::resize_file(files[3], fs::file_size(files[3]) - 40);
  try {
    read_dicom_series(series);
    ADD_FAILURE() << "a truncated file was read";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(files[3].filename().string()), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(DicomFileHead, PlainPixelsOfAChangedFileAreRefused) {
  TempDir dir;
  const auto files = write_dicom_series(ramp_volume(), dir.path());
  const DicomSeriesFiles series = only_series(dir.path());
  const DicomFileHead& head = *series.heads.at(0);
  touch_later(series.files[0]);
  std::vector<uint8_t> pixels;
  try {
    read_plain_pixels(head, pixels);
    ADD_FAILURE() << "a changed file was read";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("changed"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(series.files[0].filename().string()), std::string::npos);
  }
}

TEST(DicomFileHead, BytesInFrontOfThePixelsThatAreNotItsElementHeaderAreAnError) {
  TempDir dir;
  const auto files = write_dicom_series(ramp_volume(), dir.path());
  const DicomSeriesFiles series = only_series(dir.path());
  const DicomFileHead& head = *series.heads.at(2);
  // Overwrite the element header in place, keeping the size and the modification time.
  const auto stamp = fs::last_write_time(series.files[2]);
  {
    std::fstream io(series.files[2], std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(head.pixel_offset - 12);
    io.write("XXXXXXXXXXXX", 12);
  }
  fs::last_write_time(series.files[2], stamp);
  try {
    read_dicom_series(series);
    ADD_FAILURE() << "pixels behind a foreign element header were read";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no longer where"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(series.files[2].filename().string()), std::string::npos);
  }
}

// pydicom's CT_small.dcm (explicit VR little endian, 128 x 128 int16): PixelData is followed by
// a 126-byte DataSetTrailingPadding (FFFC,FFFC) OB, encoded in 12 + 126 bytes (dcmdump shows
// it), so the pixel bytes are the 32768 in front of the file's last 138.
TEST(DicomFileHead, APixelDataFollowedByTrailingPaddingIsFound) {
  const fs::path file = fs::path(UNETX_TEST_DATA) / "external" / "pydicom" / "CT_small.dcm";
  ASSERT_TRUE(fs::exists(file)) << "run scripts/fetch_test_data.sh";
  TempDir dir;
  fs::copy_file(file, dir / "CT_small.dcm");
  const DicomSeriesFiles series = only_series(dir.path());
  ASSERT_NE(series.heads.at(0), nullptr);
  EXPECT_EQ(series.heads[0]->pixel_offset,
            static_cast<int64_t>(fs::file_size(file)) - 138 - 128 * 128 * 2);
  EXPECT_EQ(series.heads[0]->pixel_length, 128 * 128 * 2);
}

}  // namespace
}  // namespace unetx::io
