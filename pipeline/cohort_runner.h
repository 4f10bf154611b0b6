// The loop every cohort command shares: one case at a time, each case's failure recorded and
// the cohort going on, finished cases skipped on a rerun (resume after a killed job), cases
// split across ranks, and <output>/manifest.csv written by rank 0 with one row per case.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "distributed/communicator.h"
#include "io/manifest.h"

namespace unetx::pipeline {

namespace fs = std::filesystem;

struct RunSummary {
  int ok = 0;
  int skipped = 0;  // finished by an earlier run, counted in ok too
  int failed = 0;
  std::vector<std::string> failed_ids;
  // 0 when every case succeeded, 1 when any failed (the command's exit code).
  int exit_code() const { return failed == 0 ? 0 : 1; }
};

struct CohortTask {
  std::string what;                  // "predict", shown in progress and logs
  fs::path output;                   // the -o folder; manifest.csv goes here
  std::vector<std::string> columns;  // manifest columns besides case_id and status
  // Files a finished case has; a case whose files all exist and whose row in the previous
  // manifest says ok is not run again.
  std::function<std::vector<fs::path>(const io::Case&)> outputs;
  // Does the work of one case and returns its manifest columns; throws on failure.
  std::function<std::map<std::string, std::string>(const io::Case&)> process;
};

// Runs `task` over `cohort`. Cases are dealt round-robin to ranks; every rank writes its own
// cases' files; rank 0 gathers all rows and writes the manifest in cohort order. Also rewrites
// the manifest (single-process runs) as cases finish, at most every 2 s, so a killed job keeps
// its record.
RunSummary run_cohort(const io::Cohort& cohort, const CohortTask& task, dist::Communicator& comm);

// Column value for an output file: its path relative to the output folder (manifests stay
// valid when the folder is moved).
std::string relative_to(const fs::path& file, const fs::path& folder);

}  // namespace unetx::pipeline
