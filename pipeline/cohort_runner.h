// The loop every cohort command shares: one case at a time, each case's failure recorded and
// the cohort going on, finished cases skipped on a rerun (resume after a killed or preempted
// job), cases balanced dynamically across ranks, and <output>/manifest.csv written by rank 0
// with one row per case in cohort order.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "distributed/communicator.h"
#include "io/manifest.h"
#include "pipeline/stop_request.h"

namespace unetx::pipeline {

namespace fs = std::filesystem;

struct RunSummary {
  int ok = 0;
  int skipped = 0;  // finished by an earlier run, counted in ok too
  int failed = 0;
  int pending = 0;  // not run because a stop was requested (SIGTERM/SIGUSR1) first
  std::vector<std::string> failed_ids;
  // 75 (kExitStoppedOnSignal) when a stop left cases pending, so a job script requeues and the
  // rerun finishes them; else 0 when every case succeeded, 1 when any failed.
  int exit_code() const {
    if (pending > 0) return kExitStoppedOnSignal;
    return failed == 0 ? 0 : 1;
  }
};

struct CohortTask {
  std::string what;                  // "predict", shown in progress and logs
  fs::path output;                   // the -o folder; manifest.csv goes here
  std::vector<std::string> columns;  // manifest columns besides case_id and status
  // Files a finished case has; a case whose files all exist and whose row in the previous
  // manifest (or journal) says ok is not run again.
  std::function<std::vector<fs::path>(const io::Case&)> outputs;
  // Does the work of one case and returns its manifest columns; throws on failure.
  std::function<std::map<std::string, std::string>(const io::Case&)> process;
};

// Runs `task` over `cohort`; collective over `comm` (every rank calls it with the same
// arguments). Cases still to do are handed out by a shared work queue (distributed/work_queue.h):
// a rank takes the next case when it finishes one. Every rank writes its own cases' files and
// appends each finished row to its journal `<output>/.journal-rank<r>.jsonl`, so a job killed
// outright keeps its record; rank 0 gathers all rows, writes the manifest in cohort order and
// removes the journals. Before any work, rank 0 removes the temporaries (`.tmp-*`) of atomic
// writes a killed run left anywhere under the output folder. Installs the stop handlers (stop_request.h): after SIGTERM/SIGUSR1 no
// rank starts another case, the manifest lists the rest as `pending`, and exit_code() is 75.
// The summary is complete on rank 0 only.
RunSummary run_cohort(const io::Cohort& cohort, const CohortTask& task, dist::Communicator& comm);

// Column value for an output file: its path relative to the output folder (manifests stay
// valid when the folder is moved).
std::string relative_to(const fs::path& file, const fs::path& folder);

}  // namespace unetx::pipeline
