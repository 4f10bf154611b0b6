// unetx's own NIfTI decoder (libdeflate + header parsing) returns what ITK's reader returns, bit
// for bit, for every pixel type, scaling and gzip layout; and the written header carries both
// a qform and an sform equal to the image's affine.
#include <gtest/gtest.h>
#include <itkImage.h>
#include <itkImageFileWriter.h>

#include <cmath>

#include "geometry_fixture.h"
#include "io/error.h"
#include "io/gzip_inflate.h"
#include "io/image_io.h"
#include "io/nifti_geometry.h"
#include "io/nifti_header.h"
#include "io/nifti_reader.h"
#include "nifti_test_util.h"
#include "temp_dir.h"

namespace unetx::io {
namespace {

using test::TempDir;

// Writes a (4, 5, 6) image of pixel type T through ITK directly (so uint16, uint32, int8,
// double and int64 files exist, which write_image never produces).
template <typename T>
fs::path write_itk(const TempDir& dir, const std::string& name) {
  using Image = itk::Image<T, 3>;
  auto image = Image::New();
  image->SetRegions(typename Image::RegionType(typename Image::SizeType{{4, 5, 6}}));
  image->Allocate();
  T* p = image->GetBufferPointer();
  for (int i = 0; i < 120; ++i) {
    const double v = std::is_signed<T>::value ? i * 37.0 - 2000.0 : i * 511.0;
    p[i] = static_cast<T>(std::is_floating_point<T>::value ? v * 0.173 : v);
  }
  const io::Geometry g = test::rotated_geometry();
  typename Image::DirectionType dir3;
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) dir3(r, c) = g.direction[r * 3 + c];
  }
  image->SetSpacing(g.spacing.data());
  image->SetOrigin(g.origin.data());
  image->SetDirection(dir3);
  auto writer = itk::ImageFileWriter<Image>::New();
  writer->SetFileName((dir / name).string());
  writer->SetInput(image);
  writer->Update();
  return dir / name;
}

void expect_same_as_itk(const fs::path& file) {
  SCOPED_TRACE(file.string());
  // read_nifti_fast directly: read_image would fall back to ITK silently, hiding a decoder
  // that gave up.
  const std::optional<Volume> decoded = read_nifti_fast(file);
  ASSERT_TRUE(decoded.has_value()) << "the fast path declined this file";
  const Volume& fast = *decoded;
  const Volume itk = read_image_itk(file);
  EXPECT_TRUE(test::same_bits(fast.data, itk.data))
      << fast.data.scalar_type() << " vs " << itk.data.scalar_type();
  EXPECT_TRUE(fast.geometry.same_as(itk.geometry, 0.0));
  EXPECT_EQ(fast.meta, itk.meta);
}

TEST(NiftiFastRead, EveryPixelTypeIsBitIdenticalToItk) {
  TempDir dir;
  for (const char* ext : {".nii", ".nii.gz"}) {
    const std::string e = ext;
    expect_same_as_itk(write_itk<uint8_t>(dir, "u8" + e));
    expect_same_as_itk(write_itk<int8_t>(dir, "i8" + e));
    expect_same_as_itk(write_itk<int16_t>(dir, "i16" + e));
    expect_same_as_itk(write_itk<uint16_t>(dir, "u16" + e));
    expect_same_as_itk(write_itk<int32_t>(dir, "i32" + e));
    expect_same_as_itk(write_itk<uint32_t>(dir, "u32" + e));
    expect_same_as_itk(write_itk<int64_t>(dir, "i64" + e));
    expect_same_as_itk(write_itk<float>(dir, "f32" + e));
    expect_same_as_itk(write_itk<double>(dir, "f64" + e));
  }
  // uint16 is widened to int32 (ATen has no uint16), keeping the value.
  const Volume v = read_image(dir / "u16.nii.gz");
  EXPECT_EQ(v.data.scalar_type(), at::kInt);
  EXPECT_EQ(v.data.flatten()[119].item<int>(), 119 * 511);
  EXPECT_EQ(v.meta.at("pixel_type"), "uint16");
}

// Sets scl_slope/scl_inter (NIfTI-1 offsets 112, 116) in a .nii file and its .nii.gz twin.
void write_scaled(const fs::path& plain, const fs::path& out_base, float slope, float inter) {
  std::string bytes = test::slurp(plain);
  test::patch<float>(bytes, 112, slope);
  test::patch<float>(bytes, 116, inter);
  test::spit(out_base.string() + ".nii", bytes);
  test::write_gzip(out_base.string() + ".nii.gz", bytes);
}

TEST(NiftiFastRead, ScalingPromotesToFloatExactlyAsItkDoes) {
  TempDir dir;
  const fs::path i16 = write_itk<int16_t>(dir, "i16.nii");
  const fs::path i32 = write_itk<int32_t>(dir, "i32.nii");
  const fs::path f64 = write_itk<double>(dir, "f64.nii");
  // 0.1 and 1/3 are inexact in float and double: any change in the order of operations
  // changes low bits.
  write_scaled(i16, dir / "i16_scaled", 0.1f, -1024.3f);
  write_scaled(i32, dir / "i32_scaled", 1.0f / 3.0f, 7.0f);
  write_scaled(f64, dir / "f64_scaled", 2.5f, 0.0f);
  write_scaled(i16, dir / "i16_inter_only", 1.0f, 100.0f);
  // Slope 0: ITK 5.2 reads it as 1 and applies the intercept (NIfTI's text would ignore both).
  write_scaled(i16, dir / "i16_slope_zero", 0.0f, 100.0f);
  for (const char* base :
       {"i16_scaled", "i32_scaled", "f64_scaled", "i16_inter_only", "i16_slope_zero"}) {
    expect_same_as_itk(dir / (std::string(base) + ".nii"));
    expect_same_as_itk(dir / (std::string(base) + ".nii.gz"));
  }
  // Hand-computed: voxel 5 of the int16 ramp is 5 * 37 - 2000 = -1815.
  const Volume s = read_image(dir / "i16_scaled.nii.gz");
  EXPECT_EQ(s.data.scalar_type(), at::kFloat);
  const double expected = -1815.0 * static_cast<double>(0.1f) + static_cast<double>(-1024.3f);
  EXPECT_EQ(s.data.flatten()[5].item<float>(), static_cast<float>(expected));
  EXPECT_EQ(s.meta.at("pixel_type"), "float32");
  EXPECT_EQ(s.meta.at("stored_pixel_type"), "int16");
  const Volume inter = read_image(dir / "i16_inter_only.nii");
  EXPECT_EQ(inter.data.flatten()[5].item<float>(), -1715.0f);
  const Volume zero = read_image(dir / "i16_slope_zero.nii");
  EXPECT_EQ(zero.data.scalar_type(), at::kFloat);
  EXPECT_EQ(zero.data.flatten()[5].item<float>(), -1715.0f);
  EXPECT_EQ(zero.meta.at("scl_slope"), "1");
  // Unscaled files keep their stored type.
  const Volume plain = read_image(i16);
  EXPECT_EQ(plain.data.scalar_type(), at::kShort);
  EXPECT_EQ(plain.data.flatten()[5].item<int16_t>(), -1815);
  EXPECT_EQ(plain.meta.count("scl_slope"), 0u);
}

TEST(NiftiFastRead, FourDimensionalImagesBecomeChannels) {
  TempDir dir;
  Volume v;
  v.data = (at::arange(2 * 3 * 4 * 5, at::kFloat) * 0.5f - 7.0f).reshape({2, 3, 4, 5});
  v.geometry = test::rotated_geometry();
  write_image(v, dir / "four.nii.gz");
  const Volume r = read_image(dir / "four.nii.gz");
  EXPECT_TRUE(at::equal(r.data, v.data));
  expect_same_as_itk(dir / "four.nii.gz");
}

TEST(NiftiFastRead, MultiMemberGzipAndShortSizeGuessesDecode) {
  TempDir dir;
  const fs::path plain = write_itk<int16_t>(dir, "i16.nii");
  const std::string bytes = test::slurp(plain);
  // Three members, as `cat a.gz b.gz c.gz` makes: the trailer only knows the last one's size.
  const std::string file = (dir / "three.nii.gz").string();
  const size_t third = bytes.size() / 3;
  for (int part = 0; part < 3; ++part) {
    gzFile f = gzopen(file.c_str(), part == 0 ? "wb" : "ab");
    const std::string piece =
        part < 2 ? bytes.substr(part * third, third) : bytes.substr(2 * third);
    gzwrite(f, piece.data(), static_cast<unsigned>(piece.size()));
    gzclose(f);
  }
  expect_same_as_itk(dir / "three.nii.gz");

  // gunzip grows its buffer when the hint is short (the > 4 GiB case, where ISIZE wraps).
  const Bytes gz = read_file_bytes(file);
  const Bytes out = gunzip(gz.begin(), gz.size, file, 16);
  ASSERT_EQ(out.size, bytes.size());
  EXPECT_EQ(std::memcmp(out.begin(), bytes.data(), bytes.size()), 0);
}

TEST(NiftiFastRead, WrittenHeaderHasQformAndSformEqualToTheAffine) {
  TempDir dir;
  Volume v;
  v.data = at::ones({1, 3, 4, 5}, at::kShort);
  v.geometry = test::rotated_geometry();
  write_image(v, dir / "out.nii.gz");
  const Bytes gz = read_file_bytes(dir / "out.nii.gz");
  unsigned char head[348];
  ASSERT_EQ(gunzip_prefix(gz.begin(), gz.size, head, sizeof head), sizeof head);
  NiftiHeader h = parse_nifti_header(head, sizeof head).value();
  EXPECT_GT(h.qform_code, 0);
  EXPECT_GT(h.sform_code, 0);
  // sform rows = diag(-1, -1, 1) * LPS direction * diag(spacing), translation = RAS origin.
  const Geometry& g = v.geometry;
  const double flip[3] = {-1, -1, 1};
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) {
      EXPECT_NEAR(h.srow[r][c], flip[r] * g.direction[r * 3 + c] * g.spacing[c], 1e-5);
    }
    EXPECT_NEAR(h.srow[r][3], flip[r] * g.origin[r], 1e-5);
  }
  // The qform alone (sform switched off) gives the same geometry.
  h.sform_code = 0;
  EXPECT_EQ(nifti_transform_choice(h, "out"), NiftiTransform::kQform);
  EXPECT_TRUE(nifti_geometry(h, "out").same_as(g, 1e-5));
}

}  // namespace
}  // namespace unetx::io
