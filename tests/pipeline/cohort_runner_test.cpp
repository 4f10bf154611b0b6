// The shared cohort loop: failures stay with their case, finished cases are skipped on a rerun
// (also after a stop request or a kill), missing inputs are reported without running, and the
// manifest keeps cohort order.
#include "pipeline/cohort_runner.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "distributed/work_queue.h"
#include "io/atomic_file.h"
#include "io/error.h"
#include "pipeline/training_data.h"

namespace unetx::pipeline {
namespace {

fs::path fresh(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("unetx_runner_" + name + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

io::Cohort cohort_of(const fs::path& dir, const std::vector<std::string>& ids) {
  io::Cohort cohort;
  cohort.source = dir;
  for (const auto& id : ids) {
    io::Case c;
    c.id = id;
    c.images = {dir / (id + ".in")};
    std::ofstream(c.images.front()) << id;
    cohort.cases.push_back(c);
  }
  return cohort;
}

CohortTask counting_task(const fs::path& out, int& calls) {
  CohortTask task;
  task.what = "test";
  task.output = out;
  task.columns = {"result"};
  task.outputs = [out](const io::Case& c) { return std::vector<fs::path>{out / (c.id + ".out")}; };
  task.process = [out, &calls](const io::Case& c) -> std::map<std::string, std::string> {
    ++calls;
    if (c.id == "bad") throw std::runtime_error("cannot do bad\nsecond line");
    io::write_text_atomic(out / (c.id + ".out"), "done");
    return {{"result", c.id + ".out"}};
  };
  return task;
}

TEST(CohortRunner, FailureStaysWithItsCaseAndRerunSkipsFinishedOnes) {
  const fs::path d = fresh("resume");
  const io::Cohort cohort = cohort_of(d, {"a", "bad", "c"});
  dist::SingleProcess comm;
  int calls = 0;
  RunSummary first = run_cohort(cohort, counting_task(d / "out", calls), comm);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(first.ok, 2);
  EXPECT_EQ(first.failed, 1);
  EXPECT_EQ(first.failed_ids, std::vector<std::string>{"bad"});
  EXPECT_EQ(first.exit_code(), 1);
  auto rows = io::read_manifest(d / "out/manifest.csv");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].case_id, "a");
  EXPECT_EQ(rows[0].columns.at("result"), "a.out");
  EXPECT_EQ(rows[1].status, "failed: cannot do bad second line");  // one line

  // Rerun: a and c are complete, only the failed case runs again.
  calls = 0;
  RunSummary second = run_cohort(cohort, counting_task(d / "out", calls), comm);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(second.skipped, 2);
  EXPECT_EQ(second.ok, 2);

  // An output deleted by hand makes its case run again.
  fs::remove(d / "out/c.out");
  calls = 0;
  run_cohort(cohort, counting_task(d / "out", calls), comm);
  EXPECT_EQ(calls, 2);
}

TEST(CohortRunner, MissingInputFailsWithoutRunning) {
  const fs::path d = fresh("missing");
  io::Cohort cohort = cohort_of(d, {"a", "b"});
  fs::remove(cohort.cases[1].images.front());
  dist::SingleProcess comm;
  int calls = 0;
  RunSummary s = run_cohort(cohort, counting_task(d / "out", calls), comm);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(s.failed_ids, std::vector<std::string>{"b"});
  auto rows = io::read_manifest(d / "out/manifest.csv");
  EXPECT_NE(rows[1].status.find("b.in: no such file"), std::string::npos) << rows[1].status;
}

TEST(CohortRunner, StopRequestLeavesTheRestPendingAndExits75) {
  const fs::path d = fresh("stop");
  const io::Cohort cohort = cohort_of(d, {"a", "b", "c", "d"});
  dist::SingleProcess comm;
  clear_stop_request();
  int calls = 0;
  CohortTask task = counting_task(d / "out", calls);
  auto inner = task.process;
  // The signal arrives while b runs: b finishes, c and d are never started.
  task.process = [inner](const io::Case& c) {
    if (c.id == "b") request_stop();
    return inner(c);
  };
  RunSummary first = run_cohort(cohort, task, comm);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(first.ok, 2);
  EXPECT_EQ(first.pending, 2);
  EXPECT_EQ(first.failed, 0);
  EXPECT_EQ(first.exit_code(), kExitStoppedOnSignal);
  auto rows = io::read_manifest(d / "out/manifest.csv");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[1].status, "ok");
  EXPECT_EQ(rows[2].status, "pending");
  EXPECT_EQ(rows[3].case_id, "d");

  // The requeued rerun does exactly the two pending cases.
  clear_stop_request();
  calls = 0;
  RunSummary second = run_cohort(cohort, counting_task(d / "out", calls), comm);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(second.skipped, 2);
  EXPECT_EQ(second.ok, 4);
  EXPECT_EQ(second.exit_code(), 0);
}

TEST(CohortRunner, KilledRunResumesFromItsJournal) {
  const fs::path d = fresh("killed");
  const io::Cohort cohort = cohort_of(d, {"a", "b", "c", "d"});
  const fs::path out = d / "out";
  clear_stop_request();
  // A child process dies abruptly (no manifest written) while running c.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    dist::SingleProcess comm;
    int calls = 0;
    CohortTask task = counting_task(out, calls);
    auto inner = task.process;
    task.process = [inner](const io::Case& c) {
      if (c.id == "c") std::_Exit(9);
      return inner(c);
    };
    run_cohort(cohort, task, comm);
    std::_Exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  ASSERT_EQ(WEXITSTATUS(status), 9);
  EXPECT_FALSE(fs::exists(out / "manifest.csv"));
  EXPECT_TRUE(fs::exists(out / ".journal-rank0.jsonl"));
  // What a write cut short by the kill leaves behind.
  io::write_text_atomic(out / "sub" / ".tmp-1234-0-c.out", "half");

  dist::SingleProcess comm;
  int calls = 0;
  RunSummary s = run_cohort(cohort, counting_task(out, calls), comm);
  EXPECT_EQ(calls, 2);  // c and d only: a and b were journalled with their outputs
  EXPECT_EQ(s.skipped, 2);
  EXPECT_EQ(s.ok, 4);
  auto rows = io::read_manifest(out / "manifest.csv");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].columns.at("result"), "a.out");  // the journalled row, columns and all
  EXPECT_FALSE(fs::exists(out / ".journal-rank0.jsonl"));  // folded into the manifest
  EXPECT_FALSE(fs::exists(out / "sub" / ".tmp-1234-0-c.out"));
  EXPECT_TRUE(fs::is_directory(out / "sub"));
}

TEST(WorkQueue, SingleProcessHandsOutEveryIndexOnceInOrder) {
  dist::SingleProcess comm;
  auto queue = dist::make_work_queue(comm, 3);
  EXPECT_EQ(queue->count(), 3);
  EXPECT_EQ(queue->next(), std::optional<int64_t>(0));
  EXPECT_EQ(queue->next(), std::optional<int64_t>(1));
  EXPECT_EQ(queue->next(), std::optional<int64_t>(2));
  EXPECT_EQ(queue->next(), std::nullopt);
  EXPECT_EQ(queue->next(), std::nullopt);
  EXPECT_EQ(dist::make_work_queue(comm, 0)->next(), std::nullopt);
}

TEST(TrainingSplit, HoldsOutTheRequestedShareAndIsReused) {
  const fs::path d = fresh("split");
  std::vector<std::string> ids;
  for (int i = 0; i < 10; ++i) ids.push_back("case" + std::to_string(i));
  Split s = load_or_make_split(d / "split.json", ids, 0.2, 7);
  EXPECT_EQ(s.val.size(), 2u);
  EXPECT_EQ(s.train.size(), 8u);
  // Same file, different seed: the written split wins, so reruns agree.
  Split again = load_or_make_split(d / "split.json", ids, 0.5, 99);
  EXPECT_EQ(again.val, s.val);
  // Two cases: one trains, one validates, whatever the fraction.
  Split tiny = load_or_make_split(d / "tiny.json", {"x", "y"}, 0.9, 1);
  EXPECT_EQ(tiny.val.size(), 1u);
  EXPECT_EQ(tiny.train.size(), 1u);
  const std::vector<std::string> one{"x"};
  EXPECT_THROW(load_or_make_split(d / "one.json", one, 0.2, 1), unetx::Error);
}

}  // namespace
}  // namespace unetx::pipeline
