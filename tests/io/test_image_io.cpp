// Image files: pixel types, geometry and multi-channel data survive a write/read round trip,
// agree with ITK's own reader, and broken inputs fail with the file named.
#include <gtest/gtest.h>
#include <itkImage.h>
#include <itkImageFileReader.h>
#include <itkImageFileWriter.h>
#include <itkVectorImage.h>
#include <nifti1.h>
#include <zlib.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>

#include "geometry_fixture.h"
#include "io/error.h"
#include "io/image_io.h"
#include "read_error_expectation.h"
#include "temp_dir.h"

namespace unetx::io {
namespace {

using test::TempDir;

using test::rotated_geometry;

// (C, Z, Y, X) = (c, 3, 4, 5): distinct extents so any axis mix-up changes the shape or values.
Volume make_volume(at::ScalarType type, int64_t channels = 1) {
  Volume v;
  at::Tensor ramp = at::arange(channels * 60, at::kFloat).reshape({channels, 3, 4, 5});
  if (type == at::kFloat) ramp = ramp * 0.37f - 5.25f;
  if (type == at::kShort) ramp = ramp * 97 - 3000;
  v.data = ramp.to(type);
  v.geometry = rotated_geometry();
  return v;
}

void expect_geometry_near(const Geometry& a, const Geometry& b, double tol) {
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(a.spacing[i], b.spacing[i], tol) << "spacing " << i;
    EXPECT_NEAR(a.origin[i], b.origin[i], tol) << "origin " << i;
  }
  for (int i = 0; i < 9; ++i) EXPECT_NEAR(a.direction[i], b.direction[i], tol) << "dir " << i;
}

class RoundTrip : public ::testing::TestWithParam<at::ScalarType> {};

TEST_P(RoundTrip, NiftiKeepsDtypeValuesAndGeometry) {
  TempDir dir;
  const Volume v = make_volume(GetParam());
  const auto file = dir / "case1.nii.gz";
  write_image(v, file);
  const Volume r = read_image(file);
  EXPECT_EQ(r.data.scalar_type(), GetParam());
  ASSERT_EQ(r.data.sizes(), v.data.sizes());
  EXPECT_TRUE(at::equal(r.data, v.data));
  expect_geometry_near(r.geometry, v.geometry, 1e-5);
  EXPECT_EQ(r.meta.at("pixel_type"), dtype_name(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Dtypes, RoundTrip, ::testing::Values(at::kFloat, at::kShort, at::kByte));

TEST(ImageIo, VoxelOrderAndPhysicalPointAgreeWithItkReader) {
  TempDir dir;
  const Volume v = make_volume(at::kFloat);
  const auto file = dir / "case.nii.gz";
  write_image(v, file);
  using Image = itk::Image<float, 3>;
  auto reader = itk::ImageFileReader<Image>::New();
  reader->SetFileName(file.string());
  reader->Update();
  Image::Pointer image = reader->GetOutput();
  const Image::IndexType index{{4, 1, 2}};  // x, y, z
  EXPECT_FLOAT_EQ(image->GetPixel(index), v.data[0][2][1][4].item<float>());
  Image::PointType itk_point;
  image->TransformIndexToPhysicalPoint(index, itk_point);
  const Vec3 ours = v.geometry.index_to_physical({4, 1, 2});
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(itk_point[i], ours[i], 1e-4);
  // Hand-computed: origin + D * diag(spacing) * (4, 1, 2).
  const double c = std::cos(M_PI / 6), s = std::sin(M_PI / 6);
  EXPECT_NEAR(itk_point[0], -12.5 + c * 0.7 * 4 - s * 1.3 * 1, 1e-4);
  EXPECT_NEAR(itk_point[1], 30.25 + s * 0.7 * 4 + c * 1.3 * 1, 1e-4);
  EXPECT_NEAR(itk_point[2], 7.0 - 2.5 * 2, 1e-4);
}

TEST(ImageIo, NiftiCarriesQformAndSform) {
  TempDir dir;
  const Volume v = make_volume(at::kShort);
  const auto file = dir / "plain.nii";
  write_image(v, file);
  std::ifstream in(file, std::ios::binary);
  nifti_1_header hdr;
  ASSERT_TRUE(in.read(reinterpret_cast<char*>(&hdr), sizeof hdr));
  ASSERT_EQ(hdr.sizeof_hdr, 348);
  EXPECT_GT(hdr.qform_code, 0);
  EXPECT_GT(hdr.sform_code, 0);
  // sform rows are RAS: ITK's LPS x and y rows negated, columns scaled by spacing.
  const Geometry& g = v.geometry;
  for (int c = 0; c < 3; ++c) {
    EXPECT_NEAR(hdr.srow_x[c], -g.direction[0 * 3 + c] * g.spacing[c], 1e-5);
    EXPECT_NEAR(hdr.srow_y[c], -g.direction[1 * 3 + c] * g.spacing[c], 1e-5);
    EXPECT_NEAR(hdr.srow_z[c], g.direction[2 * 3 + c] * g.spacing[c], 1e-5);
  }
  EXPECT_NEAR(hdr.srow_x[3], 12.5, 1e-5);
  EXPECT_NEAR(hdr.srow_z[3], 7.0, 1e-5);
}

TEST(ImageIo, MultiChannelRoundTripsAsFourDimensionalImage) {
  TempDir dir;
  const Volume v = make_volume(at::kFloat, 3);
  for (const char* name : {"prob.nii.gz", "prob.mha"}) {
    write_image(v, dir / name);
    const Volume r = read_image(dir / name);
    ASSERT_EQ(r.data.sizes(), (std::vector<int64_t>{3, 3, 4, 5})) << name;
    EXPECT_TRUE(at::equal(r.data, v.data)) << name;
    expect_geometry_near(r.geometry, v.geometry, 1e-5);
  }
}

TEST(ImageIo, OtherDtypesAreConvertedOnWrite) {
  TempDir dir;
  Volume v = make_volume(at::kByte);
  v.data = v.data.to(at::kLong);  // e.g. argmax output
  write_image(v, dir / "long.nrrd");
  EXPECT_EQ(read_image(dir / "long.nrrd").data.scalar_type(), at::kFloat);
  v.data = v.data.gt(30);
  write_image(v, dir / "mask.nii.gz");
  const Volume r = read_image(dir / "mask.nii.gz");
  EXPECT_EQ(r.data.scalar_type(), at::kByte);
  EXPECT_EQ(r.data.sum().item<int64_t>(), 29);
}

TEST(ImageIo, ReadsTwoDimensionalAndUint16Images) {
  TempDir dir;
  using Image = itk::Image<uint16_t, 2>;
  auto image = Image::New();
  image->SetRegions(Image::RegionType(Image::SizeType{{6, 4}}));
  image->Allocate();
  image->FillBuffer(0);
  image->SetPixel({{5, 3}}, 60000);
  const double spacing[2] = {0.5, 0.25};
  image->SetSpacing(spacing);
  auto writer = itk::ImageFileWriter<Image>::New();
  writer->SetFileName((dir / "slice.nrrd").string());
  writer->SetInput(image);
  writer->Update();

  const Volume r = read_image(dir / "slice.nrrd");
  ASSERT_EQ(r.data.sizes(), (std::vector<int64_t>{1, 1, 4, 6}));
  EXPECT_EQ(r.data.scalar_type(), at::kInt);
  EXPECT_EQ(r.data[0][0][3][5].item<int>(), 60000);
  EXPECT_EQ(r.meta.at("pixel_type"), "uint16");
  EXPECT_DOUBLE_EQ(r.geometry.spacing[0], 0.5);
  EXPECT_DOUBLE_EQ(r.geometry.spacing[1], 0.25);
  EXPECT_DOUBLE_EQ(r.geometry.spacing[2], 1.0);
}

TEST(ImageIo, VectorPixelsBecomeChannels) {
  TempDir dir;
  using Image = itk::VectorImage<float, 3>;
  auto image = Image::New();
  image->SetRegions(Image::RegionType(Image::SizeType{{3, 2, 2}}));
  image->SetNumberOfComponentsPerPixel(2);
  image->Allocate();
  itk::VariableLengthVector<float> zero(2), value(2);
  zero.Fill(0);
  value[0] = 7;
  value[1] = -3;
  image->FillBuffer(zero);
  image->SetPixel({{2, 1, 0}}, value);
  auto writer = itk::ImageFileWriter<Image>::New();
  writer->SetFileName((dir / "vec.mha").string());
  writer->SetInput(image);
  writer->Update();

  const Volume r = read_image(dir / "vec.mha");
  ASSERT_EQ(r.data.sizes(), (std::vector<int64_t>{2, 2, 2, 3}));
  EXPECT_EQ(r.data[0][0][1][2].item<float>(), 7);
  EXPECT_EQ(r.data[1][0][1][2].item<float>(), -3);
  EXPECT_EQ(r.data.abs().sum().item<float>(), 10);
}

TEST(ImageIo, ReadChannelsStacksAndRejectsOtherGrid) {
  TempDir dir;
  Volume a = make_volume(at::kShort);
  Volume b = make_volume(at::kFloat);
  write_image(a, dir / "t1.nii.gz");
  write_image(b, dir / "t2.nii.gz");
  const Volume r = read_channels({dir / "t1.nii.gz", dir / "t2.nii.gz"});
  ASSERT_EQ(r.data.sizes(), (std::vector<int64_t>{2, 3, 4, 5}));
  EXPECT_EQ(r.data.scalar_type(), at::kFloat);
  EXPECT_TRUE(at::equal(r.data[0], a.data[0].to(at::kFloat)));
  EXPECT_TRUE(at::equal(r.data[1], b.data[0]));

  b.geometry.origin[2] += 5.0;
  write_image(b, dir / "moved.nii.gz");
  try {
    read_channels({dir / "t1.nii.gz", dir / "moved.nii.gz"});
    FAIL() << "expected unetx::Error";
  } catch (const Error& e) {
    EXPECT_EQ(e.subject(), (dir / "moved.nii.gz").string());
    EXPECT_NE(e.reason().find("grid differs from " + (dir / "t1.nii.gz").string()),
              std::string::npos)
        << e.what();
  }
}

TEST(ImageIo, MissingTruncatedAndCorruptFilesThrowNamingTheFile) {
  TempDir dir;
  expect_read_error(dir / "nope.nii.gz", "no such file");

  Volume v = make_volume(at::kFloat);
  v.data = at::rand({1, 40, 40, 40});  // incompressible enough that half the file is cut
  write_image(v, dir / "full.nii.gz");
  std::ifstream in(dir / "full.nii.gz", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  test::write_file(dir / "truncated.nii.gz", bytes.substr(0, bytes.size() / 2));
  // ITK alone would zero-fill the missing tail silently; the completeness check catches it.
  expect_read_error(dir / "truncated.nii.gz", "truncated");

  write_image(v, dir / "plain.nii");
  fs::resize_file(dir / "plain.nii", fs::file_size(dir / "plain.nii") - 100);
  expect_read_error(dir / "plain.nii", "truncated");

  test::write_file(dir / "garbage.nii.gz", std::string(1000, 'x'));
  expect_read_error(dir / "garbage.nii.gz", "cannot read image");
  test::write_file(dir / "empty.mha", "");
  expect_read_error(dir / "empty.mha", "cannot read image");
}

TEST(ImageIo, MultiMemberGzipNiftiIsNotMistakenForTruncated) {
  TempDir dir;
  const Volume v = make_volume(at::kShort);
  write_image(v, dir / "plain.nii");
  std::ifstream in(dir / "plain.nii", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Two gzip members: the trailer then holds only the second member's length.
  const std::string file = (dir / "two.nii.gz").string();
  for (const char* mode : {"wb", "ab"}) {
    gzFile f = gzopen(file.c_str(), mode);
    const size_t half = bytes.size() / 2;
    const std::string part = mode[0] == 'w' ? bytes.substr(0, half) : bytes.substr(half);
    ASSERT_EQ(gzwrite(f, part.data(), static_cast<unsigned>(part.size())),
              static_cast<int>(part.size()));
    gzclose(f);
  }
  const Volume r = read_image(dir / "two.nii.gz");
  EXPECT_TRUE(at::equal(r.data, v.data));
}

TEST(ImageIo, WriteIsAtomicAndCreatesFolders) {
  TempDir dir;
  const auto file = dir / "out" / "nested" / "mask.nii.gz";
  write_image(make_volume(at::kByte), file);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(file.parent_path())) {
    names.push_back(e.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"mask.nii.gz"});
}

TEST(ImageIo, WriteErrorsNameTheFileAndLeaveNothing) {
  TempDir dir;
  const Volume v = make_volume(at::kByte);
  for (const char* name : {"a.hdr", "a.mhd", "a.unknownext"}) {
    try {
      write_image(v, dir / name);
      FAIL() << "expected unetx::Error for " << name;
    } catch (const Error& e) {
      EXPECT_EQ(e.subject(), (dir / name).string());
    }
  }
  Volume empty;
  EXPECT_THROW(write_image(empty, dir / "e.nii.gz"), Error);
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

}  // namespace
}  // namespace unetx::io
