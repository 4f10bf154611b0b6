// unetx's NIfTI-1 writer against ITK's: the same header fields, the same image when ITK reads
// the file back, and gzip that zlib (an independent decoder) reads as ordinary gzip.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <string>

#include "io/error.h"
#include "io/gzip_blocks.h"
#include "io/gzip_inflate.h"
#include "io/image_io.h"
#include "io/nifti_header.h"
#include "nifti_test_util.h"
#include "read_error_expectation.h"
#include "temp_dir.h"

namespace unetx::io {
namespace {

using test::TempDir;

// Rotation by `angle` about the unit axis (ax, ay, az) (Rodrigues), row-major.
Mat3 rotation(double ax, double ay, double az, double angle) {
  const double c = std::cos(angle), s = std::sin(angle), t = 1 - c;
  return {t * ax * ax + c,      t * ax * ay - s * az, t * ax * az + s * ay,
          t * ax * ay + s * az, t * ay * ay + c,      t * ay * az - s * ax,
          t * ax * az - s * ay, t * ay * az + s * ax, t * az * az + c};
}

Volume volume(at::ScalarType type, int64_t channels, const Geometry& g) {
  at::manual_seed(3);
  Volume v;
  v.data = (at::rand({channels, 5, 6, 7}) * 200 - 50).to(type);
  v.geometry = g;
  return v;
}

std::vector<Geometry> geometries() {
  Geometry identity;
  Geometry oblique;
  oblique.spacing = {0.7, 1.3, 2.5};
  oblique.origin = {-12.5, 30.25, 101.0};
  const double n = std::sqrt(1.0 + 4.0 + 9.0);
  oblique.direction = rotation(1 / n, 2 / n, 3 / n, 0.6);
  Geometry left_handed = oblique;  // z axis flipped: determinant -1, qfac -1
  for (int r = 0; r < 3; ++r) left_handed.direction[3 * r + 2] *= -1;
  Geometry half_turn;  // trace -1: the quaternion's small-divisor branch
  half_turn.direction = rotation(0, 0, 1, M_PI);
  half_turn.origin = {5, -6, 7};
  return {identity, oblique, left_handed, half_turn};
}

void expect_same_header(const NiftiHeader& ours, const NiftiHeader& itk) {
  EXPECT_EQ(ours.dim, itk.dim);
  EXPECT_EQ(ours.datatype, itk.datatype);
  EXPECT_EQ(ours.bitpix, itk.bitpix);
  EXPECT_EQ(ours.vox_offset, itk.vox_offset);
  EXPECT_EQ(ours.qform_code, itk.qform_code);
  EXPECT_EQ(ours.sform_code, itk.sform_code);
  EXPECT_EQ(ours.xyzt_units, itk.xyzt_units);
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(ours.pixdim[i], itk.pixdim[i], 1e-6) << "pixdim " << i;
  EXPECT_NEAR(ours.quatern_b, itk.quatern_b, 1e-6);
  EXPECT_NEAR(ours.quatern_c, itk.quatern_c, 1e-6);
  EXPECT_NEAR(ours.quatern_d, itk.quatern_d, 1e-6);
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(ours.qoffset[i], itk.qoffset[i], 1e-5);
    for (int j = 0; j < 4; ++j) EXPECT_NEAR(ours.srow[i][j], itk.srow[i][j], 1e-5);
  }
}

TEST(NiftiWriter, HeaderMatchesItksForEveryGeometryAndType) {
  TempDir dir;
  int k = 0;
  for (const Geometry& g : geometries()) {
    for (at::ScalarType type : {at::kByte, at::kShort, at::kInt, at::kFloat}) {
      for (int64_t channels : {1, 3}) {
        SCOPED_TRACE("geometry " + std::to_string(k % 4) + " type " +
                     std::string(c10::toString(type)) + " channels " + std::to_string(channels));
        const Volume v = volume(type, channels, g);
        const fs::path ours = dir / ("ours" + std::to_string(k) + ".nii.gz");
        const fs::path itk = dir / ("itk" + std::to_string(k) + ".nii.gz");
        write_image(v, ours);
        write_image_itk(v, itk);
        expect_same_header(*read_nifti_header_file(ours), *read_nifti_header_file(itk));
        // ITK's reader on our file: the same voxels on the same grid.
        const Volume back = read_image_itk(ours);
        EXPECT_TRUE(test::same_bits(back.data, v.data));
        EXPECT_TRUE(back.geometry.same_as(g, 1e-5)) << back.geometry.to_string();
      }
    }
    ++k;
  }
}

TEST(NiftiWriter, UncompressedNiiIsHeaderThenRawVoxels) {
  TempDir dir;
  const Volume v = volume(at::kShort, 1, geometries()[1]);
  write_image(v, dir / "a.nii");
  const std::string bytes = test::slurp(dir / "a.nii");
  ASSERT_EQ(bytes.size(), 352 + static_cast<size_t>(v.data.nbytes()));
  EXPECT_EQ(bytes.substr(344, 4), std::string("n+1\0", 4));
  EXPECT_EQ(std::memcmp(bytes.data() + 352, v.data.data_ptr(), v.data.nbytes()), 0);
  EXPECT_TRUE(test::same_bits(read_image(dir / "a.nii").data, v.data));
}

TEST(NiftiWriter, RefusesADirectionThatIsNotARotation) {
  TempDir dir;
  Volume v = volume(at::kByte, 1, Geometry{});
  v.geometry.direction = {1, 0.5, 0, 0, 1, 0, 0, 0, 1};
  EXPECT_THROW(write_image(v, dir / "sheared.nii.gz"), Error);
  EXPECT_FALSE(fs::exists(dir / "sheared.nii.gz"));
}

// zlib's gzread, an independent decoder: every member, in order.
std::string zlib_decode(const fs::path& file) {
  gzFile f = gzopen(file.c_str(), "rb");
  std::string out;
  char buf[1 << 16];
  int got = 0;
  while ((got = gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(got));
  gzclose(f);
  return out;
}

TEST(BlockedGzip, IsOrdinaryGzipInSmallIndexedMembers) {
  TempDir dir;
  // Incompressible bytes (random) and very compressible ones (zeros), over several blocks.
  at::manual_seed(5);
  at::Tensor data = at::cat({at::randint(0, 256, {200000}, at::kByte), at::zeros({150001}, at::kByte)});
  const auto* p = data.data_ptr<uint8_t>();
  const fs::path file = dir / "blocks.gz";
  {
    std::FILE* f = std::fopen(file.c_str(), "wb");
    BlockedGzipWriter gz(f, file.string());
    gz.append(p, 10);  // a small first member, as the NIfTI header
    gz.append(p + 10, static_cast<size_t>(data.numel()) - 10);
    gz.finish();
    std::fclose(f);
  }
  const std::string expected(reinterpret_cast<const char*>(p), static_cast<size_t>(data.numel()));
  EXPECT_EQ(zlib_decode(file), expected);

  const Bytes gz = read_file_bytes(file);
  const auto blocks = index_gzip_blocks(gz.begin(), gz.size);
  ASSERT_TRUE(blocks.has_value());
  // 1 header member + ceil(350001 / 65280) = 6 data members + the end-of-file marker.
  ASSERT_EQ(blocks->size(), 8u);
  EXPECT_EQ((*blocks)[0].out_size, 10u);
  EXPECT_EQ((*blocks)[1].out_size, kGzipBlockInput);
  EXPECT_EQ(blocks->back().out_size, 0u);
  for (const GzipBlock& b : *blocks) EXPECT_LE(b.in_size, 65536u);
  const Bytes raw = gunzip(gz.begin(), gz.size, file.string());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(raw.begin()), raw.size), expected);
}

TEST(BlockedGzip, CutOrCorruptBlockedFilesAreReportedAsSuch) {
  TempDir dir;
  Volume v = volume(at::kFloat, 1, Geometry{});
  v.data = at::rand({1, 40, 40, 40});  // 256 kB: several blocks
  write_image(v, dir / "good.nii.gz");
  std::string bytes = test::slurp(dir / "good.nii.gz");

  test::spit(dir / "cut.nii.gz", bytes.substr(0, bytes.size() / 2));
  expect_read_error(dir / "cut.nii.gz", "truncated gzip stream");

  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x55);
  test::spit(dir / "flipped.nii.gz", bytes);
  expect_read_error(dir / "flipped.nii.gz", "corrupt gzip stream");
}

}  // namespace
}  // namespace unetx::io
