// Runs under `mpirun -n 2`: the shared work queue hands every index out exactly once, and the
// cohort loop on 2 ranks writes the same manifest as on 1, balances a big case dynamically and
// keeps a failure with its case. Its own main so MPI is initialised once for all tests.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "distributed/mpi_communicator.h"
#include "distributed/work_queue.h"
#include "mpi_test_main.h"
#include "io/atomic_file.h"
#include "pipeline/cohort_runner.h"

namespace unetx::pipeline {
namespace {

dist::Mpi* comm = nullptr;

std::string slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A folder both ranks agree on: rank 0's pid, broadcast.
fs::path shared_dir(const std::string& name) {
  at::Tensor pid = at::full({1}, static_cast<int64_t>(::getpid()), at::kLong);
  comm->broadcast(pid, 0);
  fs::path d = fs::temp_directory_path() /
               ("unetx_mpi_cohort_" + name + "_" + std::to_string(pid.item<int64_t>()));
  if (comm->is_root()) {
    fs::remove_all(d);
    fs::create_directories(d);
  }
  comm->barrier();
  return d;
}

io::Cohort cohort_of(const fs::path& dir, int n) {
  io::Cohort cohort;
  cohort.source = dir;
  for (int i = 0; i < n; ++i) {
    io::Case c;
    c.id = (i == 3 ? "bad" : "case" + std::to_string(i));
    c.images = {dir / (c.id + ".in")};
    if (comm->is_root()) std::ofstream(c.images.front()) << c.id;
    cohort.cases.push_back(c);
  }
  comm->barrier();
  return cohort;
}

// Writes <id>.out and reports its size; "bad" fails. `ran` counts this rank's calls.
CohortTask file_task(const fs::path& out, int& ran) {
  CohortTask task;
  task.what = "test";
  task.output = out;
  task.columns = {"result", "bytes"};
  task.outputs = [out](const io::Case& c) { return std::vector<fs::path>{out / (c.id + ".out")}; };
  task.process = [out, &ran](const io::Case& c) -> std::map<std::string, std::string> {
    ++ran;
    if (c.id == "bad") throw std::runtime_error(c.id + ".in: not an image");
    io::write_text_atomic(out / (c.id + ".out"), "result of " + c.id);
    return {{"result", c.id + ".out"}, {"bytes", std::to_string(10 + c.id.size())}};
  };
  return task;
}

// Sum over ranks of one number.
int64_t total(int64_t mine) {
  at::Tensor t = at::full({1}, mine, at::kLong);
  comm->allreduce_sum(t);
  return t.item<int64_t>();
}

TEST(CohortWorkQueue, HandsOutEveryIndexExactlyOnceAcrossRanks) {
  std::string drawn;
  auto queue = dist::make_work_queue(*comm, 50);
  while (auto k = queue->next()) drawn += std::to_string(*k) + " ";
  EXPECT_EQ(queue->next(), std::nullopt);
  queue.reset();  // collective
  auto all = comm->gather_strings(drawn, 0);
  if (!comm->is_root()) return;
  std::multiset<int> seen;
  for (const auto& text : all) {
    std::istringstream in(text);
    for (int k; in >> k;) seen.insert(k);
  }
  ASSERT_EQ(seen.size(), 50u);
  for (int k = 0; k < 50; ++k) EXPECT_EQ(seen.count(k), 1u) << k;
}

TEST(CohortWorkQueue, TwoRanksWriteTheManifestOfOneRank) {
  const fs::path d = shared_dir("same");
  const io::Cohort cohort = cohort_of(d, 9);
  int ran = 0;
  if (comm->is_root()) {
    dist::SingleProcess single;
    int ran_single = 0;
    RunSummary one = run_cohort(cohort, file_task(d / "one", ran_single), single);
    EXPECT_EQ(one.failed_ids, std::vector<std::string>{"bad"});
  }
  RunSummary two = run_cohort(cohort, file_task(d / "two", ran), *comm);
  EXPECT_EQ(total(ran), 9);  // every case ran once, on one rank or the other
  if (!comm->is_root()) return;
  EXPECT_EQ(two.ok, 8);
  EXPECT_EQ(two.failed_ids, std::vector<std::string>{"bad"});  // reported per case
  EXPECT_EQ(two.exit_code(), 1);
  const std::string manifest = slurp(d / "two/manifest.csv");
  EXPECT_EQ(manifest, slurp(d / "one/manifest.csv"));
  EXPECT_NE(manifest.find("bad,,,failed: bad.in: not an image"), std::string::npos) << manifest;
  for (const auto& c : cohort.cases) {
    if (c.id != "bad") {
      EXPECT_EQ(slurp(d / "two" / (c.id + ".out")), "result of " + c.id);
    }
  }
  EXPECT_FALSE(fs::exists(d / "two/.journal-rank0.jsonl"));
  EXPECT_FALSE(fs::exists(d / "two/.journal-rank1.jsonl"));
  if (!HasFailure()) fs::remove_all(d);
}

TEST(CohortWorkQueue, ABigCaseDoesNotHoldBackTheOtherCases) {
  // case0 is "big": it only finishes once every other case's output exists. A fixed deal would
  // give its rank further cases that wait behind it (a deadlock, caught by the deadline); the
  // queue lets the other rank take them all.
  const fs::path d = shared_dir("big");
  io::Cohort cohort = cohort_of(d, 8);
  cohort.cases.erase(cohort.cases.begin() + 3);  // no failure in this one
  int ran = 0;
  CohortTask task = file_task(d / "out", ran);
  auto inner = task.process;
  task.process = [&, inner](const io::Case& c) {
    if (c.id == "case0") {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      for (size_t i = 1; i < cohort.cases.size(); ++i)
        while (!io::is_complete_file(d / "out" / (cohort.cases[i].id + ".out"))) {
          if (std::chrono::steady_clock::now() > deadline)
            throw std::runtime_error("the other cases never finished");
          std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    return inner(c);
  };
  RunSummary s = run_cohort(cohort, task, *comm);
  EXPECT_EQ(total(ran), 7);
  if (!comm->is_root()) return;
  EXPECT_EQ(s.ok, 7) << slurp(d / "out/manifest.csv");
  if (!HasFailure()) fs::remove_all(d);  // both ranks are done with it (total() synchronised)
}

}  // namespace
}  // namespace unetx::pipeline

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  unetx::dist::Mpi mpi;
  unetx::pipeline::comm = &mpi;
  return unetx::testing::run_all_tests_on_every_rank(mpi);
}
