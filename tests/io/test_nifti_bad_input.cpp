// Broken NIfTI input fails with one line naming the file (never a zero-filled volume); readable
// but suspicious content (NaN/Inf voxels, a single slice) is reported by the check helpers.
#include <gtest/gtest.h>

#include <limits>

#include "io/error.h"
#include "io/image_check.h"
#include "io/image_io.h"
#include "io/nifti_check.h"
#include "nifti_test_util.h"
#include "read_error_expectation.h"
#include "temp_dir.h"

namespace unetx::io {
namespace {

using test::TempDir;

Volume noise_volume() {
  Volume v;
  v.data = at::rand({1, 24, 24, 24});  // incompressible enough that a cut removes voxels
  v.geometry.spacing = {0.9, 0.9, 2.0};
  return v;
}

TEST(NiftiBadInput, TruncatedGzipNamesTheFile) {
  TempDir dir;
  write_image(noise_volume(), dir / "full.nii.gz");
  const std::string bytes = test::slurp(dir / "full.nii.gz");
  for (double keep : {0.9, 0.5, 0.1}) {
    const fs::path cut = dir / ("cut" + std::to_string(static_cast<int>(keep * 10)) + ".nii.gz");
    test::spit(cut, bytes.substr(0, static_cast<size_t>(bytes.size() * keep)));
    expect_read_error(cut, "truncated gzip stream");
  }
  // Only the 8-byte trailer missing: all voxels inflate, the stream is still incomplete.
  test::spit(dir / "no_trailer.nii.gz", bytes.substr(0, bytes.size() - 8));
  expect_read_error(dir / "no_trailer.nii.gz", "truncated gzip stream");
}

TEST(NiftiBadInput, CorruptGzipIsNotCalledTruncated) {
  TempDir dir;
  write_image(noise_volume(), dir / "full.nii.gz");
  std::string bytes = test::slurp(dir / "full.nii.gz");
  for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 64; ++i) bytes[i] ^= 0x5a;
  test::spit(dir / "flipped.nii.gz", bytes);
  expect_read_error(dir / "flipped.nii.gz", "corrupt gzip stream");
}

TEST(NiftiBadInput, HeaderPromisingMoreVoxelsThanTheFileHolds) {
  TempDir dir;
  write_image(noise_volume(), dir / "plain.nii");
  std::string bytes = test::slurp(dir / "plain.nii");
  test::patch<int16_t>(bytes, 40 + 2 * 3, 30);  // dim[3]: 24 -> 30 slices
  test::spit(dir / "lying.nii", bytes);
  test::write_gzip(dir / "lying.nii.gz", bytes);  // an intact gzip of a lying header
  const std::string expected = "truncated NIfTI file (" + std::to_string(bytes.size()) + " of " +
                               std::to_string(352 + 24 * 24 * 30 * 4) + " bytes)";
  expect_read_error(dir / "lying.nii", expected);
  expect_read_error(dir / "lying.nii.gz", expected);
  // A header claiming 32767^3 float voxels (140 TB) must not make the reader allocate them.
  for (int i = 1; i <= 3; ++i) test::patch<int16_t>(bytes, 40 + 2 * i, 32767);
  test::write_gzip(dir / "huge.nii.gz", bytes);
  expect_read_error(dir / "huge.nii.gz", "truncated NIfTI file");
}

TEST(NiftiBadInput, ZeroNegativeOrNanSpacingInHeaderIsRefused) {
  TempDir dir;
  write_image(noise_volume(), dir / "plain.nii");
  const std::string bytes = test::slurp(dir / "plain.nii");
  struct Case {
    int axis;
    float value;
    const char* text;
  };
  for (const Case c : {Case{1, 0.0f, "pixdim[1] = 0"}, Case{3, -2.0f, "pixdim[3] = -2"},
                       Case{2, std::numeric_limits<float>::quiet_NaN(), "pixdim[2] = nan"}}) {
    std::string patched = bytes;
    test::patch<float>(patched, 76 + 4 * c.axis, c.value);
    const std::string base = "spacing" + std::to_string(c.axis);
    test::spit(dir / (base + ".nii"), patched);
    test::write_gzip(dir / (base + ".nii.gz"), patched);
    expect_read_error(dir / (base + ".nii"), c.text);
    expect_read_error(dir / (base + ".nii.gz"), c.text);
    EXPECT_THROW(read_image_itk(dir / (base + ".nii")), Error);  // ITK would use spacing 1
  }
}

TEST(NiftiBadInput, NanAndInfVoxelsReadButAreCounted) {
  TempDir dir;
  Volume v = noise_volume();
  float* p = v.data.data_ptr<float>();
  p[0] = p[100] = p[999] = std::numeric_limits<float>::quiet_NaN();
  p[5] = -std::numeric_limits<float>::infinity();
  write_image(v, dir / "nan.nii.gz");
  const Volume r = read_image(dir / "nan.nii.gz");
  EXPECT_EQ(find_bad_voxels(r), std::optional<std::string>("3 NaN and 1 Inf voxels"));
  EXPECT_EQ(find_bad_voxels(noise_volume()), std::nullopt);
  Volume ints;
  ints.data = at::zeros({1, 2, 2, 2}, at::kShort);
  EXPECT_EQ(find_bad_voxels(ints), std::nullopt);
  Volume inf_only = noise_volume();
  inf_only.data.data_ptr<float>()[7] = std::numeric_limits<float>::infinity();
  EXPECT_EQ(find_bad_voxels(inf_only), std::optional<std::string>("1 Inf voxels"));
}

TEST(NiftiBadInput, TwoDimensionalImageWhereVolumeExpected) {
  TempDir dir;
  Volume slice;
  slice.data = at::ones({1, 1, 7, 9}, at::kShort);
  write_image(slice, dir / "slice.nii.gz");
  const Volume r = read_image(dir / "slice.nii.gz");
  try {
    require_3d(r, (dir / "slice.nii.gz").string());
    FAIL() << "expected unetx::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.subject(), (dir / "slice.nii.gz").string());
    EXPECT_EQ(e.reason(), "is a 2-D image (9x7 voxels, 1 slice); a 3-D volume is expected");
  }
  EXPECT_NO_THROW(require_3d(noise_volume(), "volume.nii.gz"));
}

TEST(NiftiBadInput, NotNiftiInsideANiiGzIsLeftToItkAndFailsCleanly) {
  TempDir dir;
  test::write_gzip(dir / "text.nii.gz", std::string(2000, 'a'));
  expect_read_error(dir / "text.nii.gz", "cannot read image");
  test::spit(dir / "empty.nii.gz", "");
  expect_read_error(dir / "empty.nii.gz", "cannot read image");
}

}  // namespace
}  // namespace unetx::io
