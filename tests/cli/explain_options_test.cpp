// `unetx explain` option errors are usage errors: exit code 2, one line on stderr naming the
// option, before any checkpoint or cohort is read (so the paths given need not exist) and
// without creating the output folder.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/cli/cli_helpers.h"

namespace unetx::testing {
namespace {

class CliExplainOptions : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = fresh_dir("explain_options"); }

  // -i and -m name files that do not exist: an option error must be found first.
  std::string args(const std::string& extra) const {
    return "explain -i " + (dir_ / "none.csv").string() + " -m " + (dir_ / "none.pt").string() +
           " -o " + (dir_ / "out").string() + " " + extra;
  }
  void expect_usage_error(const std::string& extra, const std::string& first_words) {
    const CommandResult r = unetx(args(extra), dir_ / "run");
    EXPECT_EQ(r.exit_code, 2) << extra << ": " << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_EQ(r.err.rfind("unetx explain: " + first_words, 0), 0) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
    EXPECT_FALSE(fs::exists(dir_ / "out"));
  }

  fs::path dir_;
};

TEST_F(CliExplainOptions, UnknownOrRepeatedMethodNamesTheChoices) {
  expect_usage_error("--method saliency,lime",
                     "--method lime: unknown method; available: saliency, input_x_gradient");
  expect_usage_error("--method gradcam,gradcam", "--method gradcam: given twice");
  expect_usage_error("--method ,", "--method ,: no method given");
}

TEST_F(CliExplainOptions, BadTargetReduceAndClassAreUsageErrors) {
  expect_usage_error("--target box:1,2", "--target box:1,2");
  expect_usage_error("--target lungs", "--target lungs");
  expect_usage_error("--reduce max", "--reduce max");
  expect_usage_error("--target-class 0", "--target-class 0: must be a foreground class");
  expect_usage_error("--window 0", "--window 0: expected N or Z,Y,X voxels");
  expect_usage_error("--steps 0", "--samples, --steps and --batch must be at least 1");
}

TEST_F(CliExplainOptions, MissingModelIsAUsageError) {
  const CommandResult r = unetx("explain -i " + (dir_ / "none.csv").string() + " -o " +
                                    (dir_ / "out").string(),
                                dir_ / "missing");
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_EQ(r.err.rfind("unetx explain: the option '--model' is required but missing", 0), 0)
      << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

}  // namespace
}  // namespace unetx::testing
