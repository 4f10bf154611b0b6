// DICOM cohorts through the binary: `synth --format dicom` writes one MR series folder per case,
// `info` reads a series folder, and preprocess takes a manifest of DICOM folders or a root
// folder of case folders with the same geometry and values as the NIfTI twin of the cohort.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_helpers.h"
#include "io/image_io.h"
#include "io/manifest.h"

namespace unetx::testing {
namespace {

TEST(CliDicomCohort, SeriesFoldersMatchTheirNiftiTwins) {
  const fs::path d = fresh_dir("dicom_cohort");
  const std::string common = " --cases 3 --size 16,14,6 --seed 7";
  auto r = unetx("synth -o " + (d / "dcm").string() + common + " --format dicom", d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = unetx("synth -o " + (d / "nii").string() + common, d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(temp_files_under(d), 0);

  // One folder of 6 slice files per case; read back on the NIfTI twin's grid. The export
  // stores floats as int16 with a rescale slope of (max - min) / 65000: values within half of it.
  for (int i = 0; i < 3; ++i) {
    const std::string id = "phantom_000" + std::to_string(i);
    const fs::path series = d / "dcm/images" / id;
    ASSERT_TRUE(fs::is_directory(series));
    EXPECT_EQ(std::distance(fs::directory_iterator(series), fs::directory_iterator()), 6);
    const io::Volume dicom = io::read_image(series);
    const io::Volume nifti = io::read_image(d / "nii/images" / (id + ".nii.gz"));
    EXPECT_TRUE(io::same_grid(dicom, nifti))
        << dicom.geometry.to_string() << " vs " << nifti.geometry.to_string();
    const at::Tensor a = nifti.data.to(at::kDouble);
    const double half_slope = (a.max() - a.min()).item<double>() / 65000.0 / 2.0;
    EXPECT_LE((dicom.data.to(at::kDouble) - a).abs().max().item<double>(),
              half_slope * 1.01 + 1e-6);
  }

  r = unetx("info " + (d / "dcm/images/phantom_0001").string() + " --json", d / "info");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto info = nlohmann::json::parse(r.out);
  EXPECT_EQ(info["size"], nlohmann::json::array({16, 14, 6}));

  // The synth manifest names the series folders; a rerun skips them as finished.
  r = unetx("synth -o " + (d / "dcm").string() + common + " --format dicom", d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = unetx("preprocess -i " + (d / "dcm/manifest.csv").string() + " -o " + (d / "pre").string() +
                " --features 8,16",
            d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& row : io::read_manifest(d / "pre/manifest.csv")) EXPECT_EQ(row.status, "ok");

  // A root folder of case folders is a cohort: one case per series folder, id = folder name.
  const io::Cohort cohort = io::read_cohort(d / "dcm/images");
  ASSERT_EQ(cohort.cases.size(), 3u);
  EXPECT_EQ(cohort.cases[2].id, "phantom_0002");
  EXPECT_EQ(cohort.cases[2].images.front(), d / "dcm/images/phantom_0002");
}

}  // namespace
}  // namespace unetx::testing
