// preprocess through the binary: the plan counts every label value of the cohort, and the
// prepared cases sit on the plan's spacing.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cli_helpers.h"
#include "io/image_io.h"

namespace unetx::testing {
namespace {

TEST(CliPreprocess, PlanCountsEveryLabelAndCasesUseItsSpacing) {
  fs::path d = fresh_dir("multilabel");
  auto r = unetx("synth -o " + (d / "c").string() + " --cases 2 --size 24,24,12 --labels 3", d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = unetx("preprocess -i " + (d / "c/manifest.csv").string() + " -o " + (d / "p").string() +
                " --spacing 2,2,3 --features 8,16 --label-names background,a,b,c",
            d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto plan = nlohmann::json::parse(slurp(d / "p/plan.json"));
  EXPECT_EQ(plan["labels"], nlohmann::json::array({"background", "a", "b", "c"}));
  io::Volume label = io::read_image(d / "p/cases/phantom_0000_label.nii");
  EXPECT_EQ(label.data.max().item<int>(), 3);
  EXPECT_NEAR(label.geometry.spacing[0], 2.0, 1e-6);
  EXPECT_NEAR(label.geometry.spacing[2], 3.0, 1e-6);
}

}  // namespace
}  // namespace unetx::testing
