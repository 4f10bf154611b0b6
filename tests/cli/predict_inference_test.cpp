// `unetx predict` inference options through the real binary: an ensemble of two checkpoints with
// test-time mirroring, the memory budget that switches to slab-wise inference without changing
// the masks, and the refusals: members with different plans, a case whose channels do not fit
// the checkpoint (that case fails, the cohort goes on), and a bad --tta.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "cli_helpers.h"
#include "io/image_io.h"
#include "io/manifest.h"

namespace unetx::testing {
namespace {

// One synthetic cohort, preprocessed twice (patch 16,16,8 and 8,8,8), and three one-iteration
// checkpoints: model_a and model_b share the first plan, model_c has the second.
class CliPredictInference : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fresh_dir("predict_inference"));
    const fs::path& d = *dir_;
    auto run = [&](const std::string& args) {
      const auto r = unetx(args, d);
      ASSERT_EQ(r.exit_code, 0) << args << "\n" << r.err;
    };
    run("synth -o " + (d / "c").string() + " --cases 3 --size 16,16,8");
    for (const char* patch : {"16,16,8", "8,8,8"}) {
      run("preprocess -i " + (d / "c/manifest.csv").string() + " -o " +
          (d / ("p" + std::string(patch))).string() + " --features 4,8 --patch " + patch);
    }
    const std::vector<std::pair<std::string, std::string>> models = {
        {"model_a", "p16,16,8"}, {"model_b", "p16,16,8"}, {"model_c", "p8,8,8"}};
    int seed = 1;
    for (const auto& [name, pre] : models) {
      run("train -i " + (d / pre).string() + " -o " + (d / name).string() +
          " --epochs 1 --iterations 1 --val-fraction 0.34 --seed " + std::to_string(seed++));
    }
  }
  static void TearDownTestSuite() { delete dir_; }

  static std::string ckpt(const std::string& name) {
    return (*dir_ / name / "checkpoint_last.pt").string();
  }
  static std::string cohort() { return (*dir_ / "c/manifest.csv").string(); }

  static fs::path* dir_;
};

fs::path* CliPredictInference::dir_ = nullptr;

TEST_F(CliPredictInference, EnsembleWithMirroringWithinAMemoryBudgetGivesTheSameMasks) {
  const fs::path d = *dir_ / "ensemble";
  auto r = unetx("predict -i " + cohort() + " -m " + ckpt("model_a") + " -m " + ckpt("model_b") +
                     " -o " + (d / "whole").string() + " --tta all --save-probabilities",
                 d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = unetx("predict -i " + cohort() + " -m " + ckpt("model_a") + " --model " + ckpt("model_b") +
                " -o " + (d / "slabs").string() +
                " --tta all --memory-budget 0.000001 --save-probabilities",
            d);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("slabs to stay within --memory-budget"), std::string::npos) << r.err;
  const auto rows = io::read_manifest(d / "slabs/manifest.csv");
  ASSERT_EQ(rows.size(), 3u);
  for (const auto& row : rows) {
    EXPECT_EQ(row.status, "ok");
    const io::Volume whole = io::read_image(d / "whole" / (row.case_id + ".nii.gz"));
    const io::Volume slabs = io::read_image(d / "slabs" / (row.case_id + ".nii.gz"));
    EXPECT_TRUE(whole.data.equal(slabs.data)) << row.case_id;
    // The slab-wise probabilities were assembled in a scratch file mapping, then written.
    const std::string prob = row.case_id + "_prob.nii.gz";
    const at::Tensor p_whole = io::read_image(d / "whole" / prob).data;
    const at::Tensor p_slabs = io::read_image(d / "slabs" / prob).data;
    ASSERT_EQ(p_whole.sizes(), p_slabs.sizes()) << row.case_id;
    EXPECT_LT((p_whole - p_slabs).abs().max().item<double>(), 1e-5) << row.case_id;
  }
  // Masks, probabilities and the manifest: no scratch file is left in the output folder.
  for (const auto& entry : fs::directory_iterator(d / "slabs")) {
    const std::string name = entry.path().filename().string();
    const bool image = name.size() > 7 && name.compare(name.size() - 7, 7, ".nii.gz") == 0;
    EXPECT_TRUE(image || name == "manifest.csv") << name;
  }
}

TEST_F(CliPredictInference, MembersWithAnotherPlanAreRefusedInOneLine) {
  const fs::path d = *dir_ / "mixed";
  auto r = unetx("predict -i " + cohort() + " -m " + ckpt("model_a") + " -m " + ckpt("model_c") +
                     " -o " + (d / "out").string(),
                 d);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_NE(
      r.err.find(ckpt("model_c") + ": plan differs from " + ckpt("model_a") + " in patch_size"),
      std::string::npos)
      << r.err;
}

TEST_F(CliPredictInference, CaseWithTheWrongChannelCountFailsAloneNamingTheMismatch) {
  const fs::path d = *dir_ / "channels";
  fs::create_directories(d);
  const fs::path images = *dir_ / "c/images";
  // A two-channel image (a 4-D NIfTI) next to a one-channel one, in one cohort.
  io::Volume two = io::read_image(images / "phantom_0000.nii.gz");
  two.data = at::cat({two.data, two.data}, 0);
  io::write_image(two, d / "twochannel.nii.gz");
  std::ofstream(d / "both.csv") << "case_id,image\n"
                                << "twochannel," << (d / "twochannel.nii.gz").string() << "\n"
                                << "onechannel," << (images / "phantom_0002.nii.gz").string()
                                << "\n";
  auto r = unetx("predict -i " + (d / "both.csv").string() + " -m " + ckpt("model_a") + " -o " +
                     (d / "out").string(),
                 d);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto rows = io::read_manifest(d / "out/manifest.csv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].status, "failed: twochannel: image has 2 channel(s), the model expects 1");
  EXPECT_EQ(rows[1].status, "ok") << rows[1].status;
  EXPECT_NE(r.err.find("twochannel"), std::string::npos) << r.err;
  EXPECT_TRUE(fs::exists(d / "out/onechannel.nii.gz"));
  EXPECT_FALSE(fs::exists(d / "out/twochannel.nii.gz"));
}

TEST_F(CliPredictInference, BadTtaIsAUsageErrorNamingTheOption) {
  const fs::path d = *dir_ / "bad_tta";
  auto r = unetx("predict -i " + cohort() + " -m " + ckpt("model_a") + " -o " +
                     (d / "out").string() + " --tta xq",
                 d);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--tta"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("xq"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace unetx::testing
