// `mpirun -n 2 unetx train` end to end: a 2-rank run writes one set of outputs from rank 0 and
// logs at info only there; a rank that throws, or is killed with SIGKILL, ends the whole job
// promptly with a non-zero status instead of leaving the other rank waiting in a collective.
// This program is not itself an MPI program: it starts mpirun and watches it.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <thread>

#include "../cli/cli_helpers.h"

extern char** environ;

namespace unetx::testing {
namespace {

const char* kMpiEnv =
    "OMPI_MCA_btl=self,vader OMPI_MCA_plm=isolated OMPI_MCA_btl_vader_single_copy_mechanism=none";

// The shell command running `unetx <args>` on `ranks` ranks, stderr into `err`.
std::string mpi_command(int ranks, const std::string& args, const fs::path& err,
                        const std::string& env = "") {
  return std::string("exec env ") + kMpiEnv + " " + env + " " + UNETX_MPIRUN +
         " --allow-run-as-root --oversubscribe -n " + std::to_string(ranks) + " " + UNETX_BINARY +
         " " + args + " --threads 1 > /dev/null 2> '" + err.string() + "'";
}

pid_t spawn_shell(const std::string& command) {
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  pid_t pid = 0;
  if (posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) != 0) return -1;
  return pid;
}

// Waits up to `limit` for `pid`; its exit code, or -1 after killing it (SIGKILL, our own child)
// when it did not end in time (a hang), or 128 + signal when a signal ended it.
int wait_or_kill(pid_t pid, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

// The process whose environment says it is MPI rank `rank` and whose command line mentions
// `marker`; 0 when there is none.
pid_t find_rank(int rank, const std::string& marker) {
  const std::string wanted = "OMPI_COMM_WORLD_RANK=" + std::to_string(rank);
  for (const auto& e : fs::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = slurp(e.path() / "cmdline"), env = slurp(e.path() / "environ");
    if (cmdline.find(marker) == std::string::npos) continue;
    for (size_t at = 0; at < env.size();) {
      const size_t end = env.find('\0', at);
      if (env.compare(at, (end == std::string::npos ? env.size() : end) - at, wanted) == 0)
        return static_cast<pid_t>(std::stol(name));
      if (end == std::string::npos) break;
      at = end + 1;
    }
  }
  return 0;
}

class TrainMpi : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fresh_dir("train_mpi");
    auto r = unetx("synth -o " + (dir_ / "cohort").string() + " --cases 5 --size 32,32,24 --seed 3",
                   dir_ / "log");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    r = unetx("preprocess -i " + (dir_ / "cohort/manifest.csv").string() + " -o " +
                  (dir_ / "pre").string() + " --spacing 2,2,2 --features 4,8 --patch 16,16,8",
              dir_ / "log");
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static std::string train_args(const fs::path& out, int epochs, int iterations) {
    return "train -i " + (dir_ / "pre").string() + " -o " + out.string() + " --epochs " +
           std::to_string(epochs) + " --iterations " + std::to_string(iterations) +
           " --batch-size 1 --loader-workers 0 --val-fraction 0.4 --bucket-mb 0.01 --seed 4";
  }
  static fs::path dir_;
};
fs::path TrainMpi::dir_;

TEST_F(TrainMpi, TwoRanksTrainWithRankZeroWritingAndLogging) {
  const fs::path out = dir_ / "two", err = dir_ / "two_err.txt";
  const int rc = wait_or_kill(spawn_shell(mpi_command(2, train_args(out, 2, 3), err)),
                              std::chrono::seconds(240));
  const std::string log = slurp(err);
  ASSERT_EQ(rc, 0) << log;
  EXPECT_TRUE(fs::exists(out / "checkpoint_last.pt"));
  EXPECT_TRUE(fs::exists(out / "checkpoint_best.pt"));
  EXPECT_EQ(temp_files_under(out), 0);
  EXPECT_EQ(count_lines(slurp(out / "train_log.jsonl")), 2);
  EXPECT_NE(log.find("[unetx train] info: epoch 2/2"), std::string::npos) << log;
  EXPECT_EQ(log.find(" r1] info"), std::string::npos) << log;  // rank 1 logs warnings only
}

TEST_F(TrainMpi, ARankThatThrowsEndsTheJobNamingItself) {
  const fs::path err = dir_ / "throw_err.txt";
  const auto t0 = std::chrono::steady_clock::now();
  const int rc = wait_or_kill(
      spawn_shell(mpi_command(2, train_args(dir_ / "throw", 100, 100), err, "UNETX_TEST_FAIL_RANK=1")),
      std::chrono::seconds(120));
  const std::string log = slurp(err);
  ASSERT_NE(rc, -1) << "mpirun hung after a rank failed:\n" << log;
  EXPECT_NE(rc, 0) << log;
  EXPECT_NE(log.find("unetx train: rank 1 of 2 failed: UNETX_TEST_FAIL_RANK"), std::string::npos)
      << log;
  // 100 x 100 steps would take many minutes: the job ended at the failure, not at the end.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(100));
}

TEST_F(TrainMpi, AKilledRankEndsTheJob) {
  const fs::path out = dir_ / "killed", err = dir_ / "killed_err.txt";
  const pid_t mpirun = spawn_shell(mpi_command(2, train_args(out, 100, 100), err));
  ASSERT_GT(mpirun, 0);
  // Training has started once rank 0 wrote the split manifest.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  pid_t victim = 0;
  while (std::chrono::steady_clock::now() < deadline &&
         (!fs::exists(out / "manifest.csv") || (victim = find_rank(1, out.string())) == 0))
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (victim == 0) wait_or_kill(mpirun, std::chrono::seconds(0));
  ASSERT_GT(victim, 0) << "rank 1 never started:\n" << slurp(err);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_EQ(kill(victim, SIGKILL), 0);
  const int rc = wait_or_kill(mpirun, std::chrono::seconds(60));
  ASSERT_NE(rc, -1) << "mpirun hung after rank 1 was killed:\n" << slurp(err);
  EXPECT_NE(rc, 0) << slurp(err);
}

}  // namespace
}  // namespace unetx::testing
