// `mpirun -n 2 unetx predict` and `... evaluate` against the same commands on one rank: the
// manifests, metrics.csv and every case's output are byte-identical, and a broken case fails
// alone (reported in its row and by the exit code) on both.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Runs `[mpirun -n ranks] unetx <args> --threads 1`, logs into `log`; returns the exit code.
// One thread everywhere, and no core binding (mpirun binds each rank to one core by default,
// and a process that sees fewer cores rounds some probabilities differently, ~1e-7): the 1- and
// 2-rank runs then do the same arithmetic per case.
int run(int ranks, const std::string& args, const fs::path& log) {
  std::string launcher;
  if (ranks > 1)
    launcher = std::string(UNETX_MPIEXEC) + " --allow-run-as-root --oversubscribe --bind-to none -n " +
               std::to_string(ranks) + " ";
  const std::string command = launcher + UNETX_BINARY + " " + args + " --threads 1 >> '" +
                              log.string() + "' 2>&1";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class CohortCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("unetx_mpi_cli_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    log_ = dir_ / "log.txt";
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string log() const { return slurp(log_); }

  fs::path dir_, log_;
};

TEST_F(CohortCli, TwoRanksPredictAndEvaluateLikeOneRank) {
  // Cases of different sizes (synth varies the geometry) and a tiny model.
  ASSERT_EQ(run(1, "synth -o " + path("c") + " --cases 5 --size 16,16,8", log_), 0) << log();
  ASSERT_EQ(run(1, "preprocess -i " + path("c/manifest.csv") + " -o " + path("p") +
                       " --features 4,8 --patch 16,16,8",
                log_),
            0)
      << log();
  ASSERT_EQ(run(1, "train -i " + path("p") + " -o " + path("m") +
                       " --epochs 1 --iterations 1 --val-fraction 0.4 --seed 1",
                log_),
            0)
      << log();
  // A cohort with one broken image between good ones: it must fail alone.
  std::ofstream(dir_ / "c/broken.nii.gz") << "not a NIfTI file";
  std::string manifest = slurp(dir_ / "c/manifest.csv");
  const size_t second_row = manifest.find('\n', manifest.find('\n') + 1) + 1;
  const std::string header = manifest.substr(0, manifest.find('\n'));
  ASSERT_EQ(header.rfind("case_id,image,label", 0), 0u) << header;
  std::string broken_row = "broken,broken.nii.gz,broken.nii.gz";
  const auto commas = std::count(header.begin(), header.end(), ',');
  for (auto i = commas; i > 2; --i) broken_row += ",";
  manifest.insert(second_row, broken_row + "\n");
  std::ofstream(dir_ / "c/with_broken.csv") << manifest;

  const std::string predict =
      "predict -i " + path("c/with_broken.csv") + " -m " + path("m/checkpoint_last.pt");
  EXPECT_EQ(run(1, predict + " -o " + path("pred1") + " --save-probabilities", log_), 1) << log();
  EXPECT_EQ(run(2, predict + " -o " + path("pred2") + " --save-probabilities", log_), 1) << log();
  const std::string m1 = slurp(dir_ / "pred1/manifest.csv");
  EXPECT_EQ(slurp(dir_ / "pred2/manifest.csv"), m1);
  EXPECT_NE(m1.find("\nbroken,,,failed: "), std::string::npos) << m1;
  EXPECT_EQ(std::count(m1.begin(), m1.end(), '\n'), 7) << m1;  // header + 6 cases
  int compared = 0;
  for (const auto& e : fs::directory_iterator(dir_ / "pred1")) {
    const std::string name = e.path().filename().string();
    if (name == "manifest.csv") continue;
    EXPECT_TRUE(slurp(dir_ / "pred2" / name) == slurp(e.path())) << name << " differs";
    ++compared;
  }
  EXPECT_EQ(compared, 10);  // 5 masks + 5 probability maps

  // The same predictions for both (a failure names the prediction folder).
  const std::string evaluate = "evaluate -r " + path("c/with_broken.csv") + " -p " + path("pred1");
  EXPECT_EQ(run(1, evaluate + " -o " + path("eval1"), log_), 1) << log();
  EXPECT_EQ(run(2, evaluate + " -o " + path("eval2"), log_), 1) << log();
  const std::string metrics = slurp(dir_ / "eval1/metrics.csv");
  EXPECT_EQ(slurp(dir_ / "eval2/metrics.csv"), metrics);
  EXPECT_FALSE(metrics.empty());
  EXPECT_EQ(slurp(dir_ / "eval2/manifest.csv"), slurp(dir_ / "eval1/manifest.csv"));
  EXPECT_NE(slurp(dir_ / "eval2/manifest.csv").find("\nbroken,,,failed: "), std::string::npos);
  for (const auto& e : fs::directory_iterator(dir_ / "eval1/cases"))
    EXPECT_EQ(slurp(dir_ / "eval2/cases" / e.path().filename()), slurp(e.path())) << e.path();
}

}  // namespace
