// Preemption: `unetx train` signalled mid-run saves its exact position and exits 75; resumed,
// it ends with the same checkpoint, byte for byte, as a run that was never stopped. And
// cross-validation trains one folder per fold from a reused splits file.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "cli_helpers.h"
#include "models/checkpoint.h"

extern char** environ;

namespace unetx::testing {
namespace {

class TrainResume : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fresh_dir("train_resume");
    auto r = unetx("synth -o " + (dir_ / "cohort").string() + " --cases 5 --size 32,32,24 --seed 2",
                   dir_ / "log");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = unetx("preprocess -i " + (dir_ / "cohort/manifest.csv").string() + " -o " +
                  (dir_ / "pre").string() + " --spacing 2,2,2 --features 4,8 --patch 16,16,8",
              dir_ / "log");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static fs::path dir_;
};
fs::path TrainResume::dir_;

// Same run every time: dropout, augmentation and two loader threads all in play.
std::string train_args(const fs::path& pre, const fs::path& out) {
  return "train -i " + pre.string() + " -o " + out.string() +
         " --epochs 3 --iterations 40 --batch-size 2 --augment standard --loader-workers 2"
         " --deterministic --seed 5";
}

std::vector<double> train_losses(const fs::path& log_file) {
  std::vector<double> losses;
  std::stringstream log(slurp(log_file));
  for (std::string line; std::getline(log, line);)
    losses.push_back(nlohmann::json::parse(line)["train_loss"].get<double>());
  return losses;
}

TEST_F(TrainResume, SignalledRunResumesToTheUninterruptedWeights) {
  const fs::path pre = dir_ / "pre";
  auto r = unetx(train_args(pre, dir_ / "whole"), dir_ / "log_whole");
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // Started in the background and sent SIGUSR1 once its first epoch is saved: it stops inside
  // the second epoch (or at its first step).
  const fs::path out = dir_ / "stopped";
  const std::string command = "exec " + std::string(UNETX_BINARY) + " " + train_args(pre, out) +
                              " --threads 2 2> '" + (dir_ / "stopped_err.txt").string() + "'";
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  pid_t pid = 0;
  ASSERT_EQ(posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ), 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (!fs::exists(out / "checkpoint_last.pt") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(kill(pid, SIGUSR1), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << slurp(dir_ / "stopped_err.txt");
  ASSERT_EQ(WEXITSTATUS(status), 75) << slurp(dir_ / "stopped_err.txt");
  EXPECT_NE(slurp(dir_ / "stopped_err.txt").find("--resume"), std::string::npos);
  EXPECT_EQ(temp_files_under(out), 0);
  EXPECT_LT(train_losses(out / "train_log.jsonl").size(), 3u);

  r = unetx(train_args(pre, out) + " --resume", dir_ / "log_resumed");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("resuming from"), std::string::npos);
  EXPECT_EQ(train_losses(out / "train_log.jsonl"), train_losses(dir_ / "whole/train_log.jsonl"));
  // Every weight and buffer bit for bit, and the same schedule and stopping state.
  const auto resumed = models::load_checkpoint(out / "checkpoint_last.pt");
  const auto whole = models::load_checkpoint(dir_ / "whole/checkpoint_last.pt");
  const auto a = resumed.model->named_parameters(), b = whole.model->named_parameters();
  ASSERT_EQ(a.size(), b.size());
  for (const auto& p : a) EXPECT_TRUE(at::equal(p.value(), b[p.key()])) << p.key();
  const auto abuf = resumed.model->named_buffers(), bbuf = whole.model->named_buffers();
  for (const auto& p : abuf) EXPECT_TRUE(at::equal(p.value(), bbuf[p.key()])) << p.key();
  EXPECT_EQ(resumed.meta.state, whole.meta.state);
}

TEST_F(TrainResume, CrossValidationTrainsEveryFoldFromOneSplitsFile) {
  const fs::path out = dir_ / "cv";
  auto r = unetx("train -i " + (dir_ / "pre").string() + " -o " + out.string() +
                     " --folds 3 --fold all --epochs 1 --iterations 2 --batch-size 2",
                 dir_ / "log_cv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto splits = nlohmann::json::parse(slurp(out / "splits.json"));
  ASSERT_EQ(splits["folds"].size(), 3u);
  std::set<std::string> validated;
  for (int k = 0; k < 3; ++k) {
    EXPECT_TRUE(fs::exists(out / ("fold_" + std::to_string(k)) / "checkpoint_best.pt")) << k;
    for (const auto& id : splits["folds"][k]["val"]) validated.insert(id.get<std::string>());
  }
  EXPECT_EQ(validated.size(), 5u);  // every case held out exactly once over the folds
  EXPECT_NE(r.err.find("over 3 folds"), std::string::npos) << r.err;

  r = unetx("train -i " + (dir_ / "pre").string() + " -o " + out.string() +
                " --folds 4 --fold 0 --epochs 1 --iterations 1",
            dir_ / "log_cv");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("splits.json"), std::string::npos) << r.err;
  r = unetx("train -i " + (dir_ / "pre").string() + " -o " + out.string() + " --folds 3 --fold 3",
            dir_ / "log_cv");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--fold 3"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace unetx::testing
