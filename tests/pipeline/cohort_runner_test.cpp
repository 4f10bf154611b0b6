// The shared cohort loop: failures stay with their case, finished cases are skipped on a rerun,
// missing inputs are reported without running, and the manifest keeps cohort order.
#include "pipeline/cohort_runner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

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
