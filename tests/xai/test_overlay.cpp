#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <array>
#include <filesystem>
#include <fstream>

#include "io/error.h"
#include "io/png.h"
#include "xai/overlay.h"

namespace unetx::xai {
namespace {

namespace fs = std::filesystem;
using Rgb = std::array<uint8_t, 3>;

Rgb pixel(const std::vector<uint8_t>& rgb, int64_t cols, int64_t y, int64_t x) {
  const auto i = static_cast<size_t>(3 * (y * cols + x));
  return {rgb[i], rgb[i + 1], rgb[i + 2]};
}

Rgb gray(uint8_t v) { return {v, v, v}; }

// One row with values 0..100: 1st percentile 1, 99th percentile 99.
at::Tensor ramp() { return at::arange(101, at::kFloat).view({1, 101}); }

class TempDir {
 public:
  TempDir() {
    path_ = fs::temp_directory_path() / ("unetx_test_xai_" + std::to_string(::getpid()));
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

TEST(RepresentativeSlice, PicksTheSliceWithTheLargestMaskArea) {
  at::Tensor mask = at::zeros({4, 3, 3}, at::kLong);
  mask[1].slice(0, 0, 1).fill_(2);  // 3 voxels of label 2
  mask[2].slice(0, 1, 3).fill_(1);  // 6 voxels
  mask[3][0][0] = 1;
  EXPECT_EQ(representative_slice(mask), 2);
}

TEST(RepresentativeSlice, TakesTheFirstOnTiesAndTheMiddleWhenEmpty) {
  at::Tensor mask = at::zeros({5, 2, 2}, at::kBool);
  EXPECT_EQ(representative_slice(mask), 2);
  mask[1][0][0] = true;
  mask[3][1][1] = true;
  EXPECT_EQ(representative_slice(mask), 1);
  EXPECT_THROW(representative_slice(at::zeros({2, 2})), Error);
}

TEST(RenderOverlay, IsRowMajorRgbOfTheSliceSize) {
  EXPECT_EQ(render_overlay(at::rand({5, 7})).size(), 5u * 7u * 3u);
}

TEST(RenderOverlay, WindowsTheImageToItsFirstAndNinetyNinthPercentiles) {
  const std::vector<uint8_t> rgb = render_overlay(ramp());
  EXPECT_EQ(pixel(rgb, 101, 0, 0), gray(0));
  EXPECT_EQ(pixel(rgb, 101, 0, 1), gray(0));
  EXPECT_EQ(pixel(rgb, 101, 0, 50), gray(128));  // 255 * 49 / 98 = 127.5
  EXPECT_EQ(pixel(rgb, 101, 0, 99), gray(255));
  EXPECT_EQ(pixel(rgb, 101, 0, 100), gray(255));
}

TEST(RenderOverlay, ConstantImageIsBlackNotNaN) {
  const std::vector<uint8_t> rgb = render_overlay(at::full({2, 2}, 7.0));
  EXPECT_EQ(pixel(rgb, 2, 1, 1), gray(0));
}

TEST(RenderOverlay, BlendsViridisWhereTheHeatIs) {
  at::Tensor heat = at::zeros({1, 101});
  heat[0][50] = 1.0;
  const std::vector<uint8_t> rgb = render_overlay(ramp(), heat, at::Tensor(), 0.45);
  // 0.55 * 128 + 0.45 * viridis(1) = 0.55 * 128 + 0.45 * (253, 231, 37)
  EXPECT_EQ(pixel(rgb, 101, 0, 50), (Rgb{184, 174, 87}));
  // heat 0 leaves the grayscale pixel (black at the ramp's start) untouched
  EXPECT_EQ(pixel(rgb, 101, 0, 0), (Rgb{0, 0, 0}));
}

TEST(RenderOverlay, DrawsAOnePixelContourPerLabel) {
  at::Tensor mask = at::zeros({7, 7}, at::kLong);
  mask.slice(0, 2, 5).slice(1, 2, 5).fill_(1);
  mask[0][6] = 2;  // touches the image border: still outlined
  const at::Tensor image = at::full({7, 7}, 3.0);
  const std::vector<uint8_t> rgb = render_overlay(image, at::Tensor(), mask);
  for (int64_t y = 2; y <= 4; ++y) {
    for (int64_t x = 2; x <= 4; ++x) {
      const bool ring = y != 3 || x != 3;
      EXPECT_EQ(pixel(rgb, 7, y, x), ring ? label_colour(1) : gray(0)) << y << "," << x;
    }
  }
  EXPECT_EQ(pixel(rgb, 7, 1, 3), gray(0));
  EXPECT_EQ(pixel(rgb, 7, 0, 6), label_colour(2));
  EXPECT_NE(label_colour(1), label_colour(2));
  EXPECT_EQ(label_colour(1), (Rgb{255, 0, 0}));
}

TEST(RenderOverlay, RejectsMismatchedSlices) {
  EXPECT_THROW(render_overlay(at::zeros({3, 3}), at::zeros({3, 4})), Error);
  EXPECT_THROW(render_overlay(at::zeros({3, 3}), at::Tensor(), at::zeros({2, 3})), Error);
  EXPECT_THROW(render_overlay(at::zeros({3, 3, 1})), Error);
}

TEST(Viridis, RunsFromDarkPurpleToYellowWithRisingLuminance) {
  EXPECT_EQ(viridis(0.0), (Rgb{68, 1, 84}));
  EXPECT_EQ(viridis(1.0), (Rgb{253, 231, 37}));
  EXPECT_EQ(viridis(2.0), viridis(1.0));
  double previous = -1;
  for (int i = 0; i <= 100; ++i) {
    const Rgb c = viridis(i / 100.0);
    const double luminance = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    EXPECT_GT(luminance, previous) << "v=" << i / 100.0;
    previous = luminance;
  }
}

TEST(WriteOverlayPng, WritesAPngWithTheRenderedPixelsTopRowFirst) {
  TempDir dir;
  const fs::path path = dir.path() / "overlay.png";
  at::Tensor image = at::arange(12, at::kFloat).view({3, 4});
  at::Tensor heat = at::zeros({3, 4});
  heat[0][3] = 1.0;
  at::Tensor mask = at::zeros({3, 4}, at::kLong);
  mask[2][0] = 1;
  write_overlay_png(path, image, heat, mask);

  ASSERT_TRUE(fs::exists(path));
  std::ifstream in(path, std::ios::binary);
  std::array<char, 8> magic{};
  in.read(magic.data(), magic.size());
  EXPECT_EQ(std::string(magic.data(), magic.size()), std::string("\x89PNG\r\n\x1a\n", 8));

  int width = 0;
  int height = 0;
  const std::vector<uint8_t> back = io::read_png_rgb(path, width, height);
  EXPECT_EQ(width, 4);
  EXPECT_EQ(height, 3);
  EXPECT_EQ(back, render_overlay(image, heat, mask));
  EXPECT_EQ(pixel(back, 4, 2, 0), label_colour(1));
}

}  // namespace
}  // namespace unetx::xai
