#include "pipeline/cohort_runner.h"

#include <spdlog/spdlog.h>

#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "distributed/work_queue.h"
#include "io/atomic_file.h"
#include "pipeline/progress.h"

namespace unetx::pipeline {
namespace {

using Rows = std::map<std::string, io::ManifestRow>;

constexpr const char* kJournalPrefix = ".journal-rank";

nlohmann::json to_json(const io::ManifestRow& row) {
  return {{"id", row.case_id}, {"columns", row.columns}, {"status", row.status}};
}

io::ManifestRow from_json(const nlohmann::json& j) {
  return {j.at("id").get<std::string>(), j.at("columns").get<std::map<std::string, std::string>>(),
          j.at("status").get<std::string>()};
}

std::vector<fs::path> journal_files(const fs::path& output) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(output))
    if (e.path().filename().string().rfind(kJournalPrefix, 0) == 0) files.push_back(e.path());
  return files;
}

// Rows an earlier run left: its manifest, then the journals of a run killed before it wrote
// one (any rank count). A journal's ok row wins: it is newer than any manifest in the folder.
Rows previous_rows(const fs::path& output) {
  Rows rows;
  fs::path file = output / "manifest.csv";
  if (fs::exists(file)) {
    try {
      for (auto& row : io::read_manifest(file)) rows[row.case_id] = row;
    } catch (const std::exception& e) {
      spdlog::warn("ignoring unreadable previous manifest ({}); every case will run", e.what());
    }
  }
  for (const auto& journal : journal_files(output)) {
    std::ifstream in(journal);
    for (std::string line; std::getline(in, line);) {
      // The last line of a killed rank may be torn; that case simply runs again.
      const auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object() || !j.contains("id")) continue;
      try {
        io::ManifestRow row = from_json(j);
        if (row.status == "ok") rows[row.case_id] = row;
      } catch (const std::exception&) {
      }
    }
  }
  return rows;
}

// Temporaries of atomic writes (io/atomic_file.h) that a killed run could not remove. Called
// before any rank of this run writes, so none of them is in use.
void remove_stale_temporaries(const fs::path& output) {
  std::vector<fs::path> stale;
  for (const auto& e : fs::recursive_directory_iterator(output))
    if (e.path().filename().string().rfind(".tmp-", 0) == 0) stale.push_back(e.path());
  for (const auto& file : stale) fs::remove_all(file);
  if (!stale.empty())
    spdlog::info("removed {} unfinished temporary file(s) of an earlier run", stale.size());
}

bool finished_before(const io::Case& c, const CohortTask& task, const Rows& previous) {
  auto it = previous.find(c.id);
  if (it == previous.end() || it->second.status != "ok") return false;
  for (const auto& file : task.outputs(c))
    if (!io::is_complete_file(file)) return false;
  return true;
}

std::string one_line(std::string s) {
  for (auto& ch : s)
    if (ch == '\n' || ch == '\r') ch = ' ';
  return s;
}

// What every rank decides alike before any work starts (same files, same answers): rows in
// cohort order (failed for missing inputs, ok for finished cases, pending for the rest) and the
// indices still to run.
struct Triage {
  std::vector<io::ManifestRow> rows;
  std::vector<size_t> to_run;
  int skipped = 0;
};

Triage triage(const io::Cohort& cohort, const CohortTask& task, const Rows& previous,
              bool log_missing) {
  Triage t;
  for (size_t i = 0; i < cohort.cases.size(); ++i) {
    const io::Case& c = cohort.cases[i];
    io::ManifestRow row{c.id, {}, "pending"};  // a stopped run leaves these
    const auto missing = io::missing_files(c);
    if (!missing.empty()) {
      // Missing inputs are reported together before any work, then those cases fail alone.
      row.status = "failed: " + missing.front().string() + ": no such file";
      if (log_missing) spdlog::error("case {}: {}", c.id, row.status.substr(8));
    } else if (finished_before(c, task, previous)) {
      row = previous.at(c.id);
      ++t.skipped;
    } else {
      t.to_run.push_back(i);
    }
    t.rows.push_back(std::move(row));
  }
  return t;
}

// One rank's record of its finished cases, one JSON row per line, flushed per case.
class Journal {
 public:
  Journal(const fs::path& output, int rank)
      : file_(output / (kJournalPrefix + std::to_string(rank) + ".jsonl")),
        out_(file_, std::ios::app) {
    if (!out_) spdlog::warn("{}: cannot open; a killed run will redo this rank's cases",
                            file_.string());
  }
  void add(const io::ManifestRow& row) { out_ << to_json(row).dump() << '\n' << std::flush; }

 private:
  fs::path file_;
  std::ofstream out_;
};

io::ManifestRow run_one(const io::Case& c, const CohortTask& task) {
  io::ManifestRow row{c.id, {}, "ok"};
  try {
    row.columns = task.process(c);
  } catch (const std::exception& e) {
    row.status = "failed: " + one_line(e.what());
    spdlog::error("case {}: {}", c.id, one_line(e.what()));
  }
  return row;
}

// Draws cases from the shared queue until it is empty or a stop is requested; returns this
// rank's rows as a JSON array of {"index", "row"}.
nlohmann::json work_through(const io::Cohort& cohort, const CohortTask& task,
                            const std::vector<size_t>& to_run, dist::Communicator& comm) {
  nlohmann::json mine = nlohmann::json::array();
  Journal journal(task.output, comm.rank());
  // Each rank's bar counts its own cases against the whole remaining cohort.
  Progress progress(task.what, static_cast<int64_t>(to_run.size()));
  const std::unique_ptr<dist::WorkQueue> queue =
      dist::make_work_queue(comm, static_cast<int64_t>(to_run.size()));
  // Checked before drawing: an index drawn is an index this rank will finish.
  while (!stop_requested()) {
    const std::optional<int64_t> k = queue->next();
    if (!k) break;
    const size_t index = to_run[static_cast<size_t>(*k)];
    const io::Case& c = cohort.cases[index];
    io::ManifestRow row = run_one(c, task);
    if (row.status == "ok") journal.add(row);
    mine.push_back({{"index", index}, {"row", to_json(row)}});
    progress.step(c.id);
  }
  if (stop_requested())
    spdlog::warn("{}: stop requested (signal {}); no further case started on rank {}", task.what,
                 stop_signal(), comm.rank());
  return mine;
}

RunSummary summarize(std::vector<io::ManifestRow>& rows, int skipped) {
  RunSummary summary;
  summary.skipped = skipped;
  for (const auto& row : rows) {
    if (row.status == "ok") {
      ++summary.ok;
    } else if (row.status == "pending") {
      ++summary.pending;
    } else {
      ++summary.failed;
      summary.failed_ids.push_back(row.case_id);
    }
  }
  return summary;
}

}  // namespace

std::string relative_to(const fs::path& file, const fs::path& folder) {
  return fs::relative(file, folder).generic_string();
}

RunSummary run_cohort(const io::Cohort& cohort, const CohortTask& task, dist::Communicator& comm) {
  install_stop_handlers();
  fs::create_directories(task.output);
  Triage t = triage(cohort, task, previous_rows(task.output), comm.is_root());
  if (comm.is_root()) remove_stale_temporaries(task.output);
  // No rank writes (journal or outputs) before every rank has read the previous run's state.
  comm.barrier();

  const nlohmann::json mine = work_through(cohort, task, t.to_run, comm);
  auto gathered = comm.gather_strings(mine.dump(), 0);
  if (!comm.is_root()) return {};
  for (const auto& text : gathered)
    for (const auto& j : nlohmann::json::parse(text))
      t.rows.at(j.at("index").get<size_t>()) = from_json(j.at("row"));
  io::write_manifest(task.output, task.columns, t.rows);
  // The manifest now holds every journal row; a later run reads it instead.
  for (const auto& journal : journal_files(task.output)) fs::remove(journal);

  RunSummary summary = summarize(t.rows, t.skipped);
  if (summary.skipped > 0)
    spdlog::info("{}: {} case(s) already done by an earlier run, skipped", task.what,
                 summary.skipped);
  if (summary.pending > 0)
    spdlog::warn("{}: {} case(s) pending after the stop; rerun the same command to finish them",
                 task.what, summary.pending);
  return summary;
}

}  // namespace unetx::pipeline
