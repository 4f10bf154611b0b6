// Real files written by other tools (mricron-data's Colin27 templates, when installed): they
// pass the NIfTI completeness check and read with the geometry the package documents.
#include <gtest/gtest.h>

#include "io/image_io.h"
#include "io/image_summary.h"

namespace unetx::io {
namespace {

const fs::path kTemplates = "/usr/share/mricron/templates";

TEST(RealData, Colin27TemplatesShareOneGrid) {
  ASSERT_TRUE(fs::exists(kTemplates / "ch2.nii.gz"))
      << "install mricron-data (scripts/setup.sh does)";
  const Volume ch2 = read_image(kTemplates / "ch2.nii.gz");
  EXPECT_EQ(ch2.size(), (Size3{181, 217, 181}));
  EXPECT_EQ(ch2.channels(), 1);
  EXPECT_EQ(ch2.data.scalar_type(), at::kByte);
  EXPECT_EQ(ch2.meta.at("pixel_type"), "uint8");
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(ch2.geometry.spacing[i], 1.0, 1e-6);
  EXPECT_NEAR(ch2.geometry.origin[0], 90, 1e-4);
  EXPECT_NEAR(ch2.geometry.origin[1], 125, 1e-4);
  EXPECT_NEAR(ch2.geometry.origin[2], -71, 1e-4);
  EXPECT_NEAR(ch2.geometry.direction[0], -1, 1e-6);  // RAS on disk -> LPS in ITK
  EXPECT_NEAR(ch2.geometry.direction[4], -1, 1e-6);
  EXPECT_NEAR(ch2.geometry.direction[8], 1, 1e-6);
  const ImageSummary s = summarize(ch2);
  EXPECT_EQ(s.min, 0);
  EXPECT_EQ(s.max, 254);
  EXPECT_NEAR(s.mean, 44.6118, 1e-3);

  const Volume bet = read_image(kTemplates / "ch2bet.nii.gz");
  EXPECT_TRUE(same_grid(ch2, bet));
  // The brain mask (ch2bet > 0) lies inside the head.
  EXPECT_EQ(ch2.data.masked_select(bet.data.gt(0)).eq(0).sum().item<int64_t>(), 0);
}

TEST(RealData, AllTemplatesPassTheCompletenessCheck) {
  ASSERT_TRUE(fs::is_directory(kTemplates)) << "install mricron-data (scripts/setup.sh does)";
  int read = 0;
  for (const auto& e : fs::directory_iterator(kTemplates)) {
    const std::string name = e.path().filename().string();
    if (name.size() < 7 || name.compare(name.size() - 7, 7, ".nii.gz") != 0) continue;
    EXPECT_NO_THROW(read_image(e.path())) << name;
    ++read;
  }
  EXPECT_GT(read, 3);
}

}  // namespace
}  // namespace unetx::io
