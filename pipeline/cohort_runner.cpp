#include "pipeline/cohort_runner.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "io/atomic_file.h"
#include "pipeline/progress.h"

namespace unetx::pipeline {
namespace {

using Rows = std::map<std::string, io::ManifestRow>;

Rows previous_rows(const fs::path& output) {
  Rows rows;
  fs::path file = output / "manifest.csv";
  if (!fs::exists(file)) return rows;
  try {
    for (auto& row : io::read_manifest(file)) rows[row.case_id] = row;
  } catch (const std::exception& e) {
    spdlog::warn("ignoring unreadable previous manifest ({}); every case will run", e.what());
  }
  return rows;
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

nlohmann::json to_json(const io::ManifestRow& row) {
  return {{"id", row.case_id}, {"columns", row.columns}, {"status", row.status}};
}

io::ManifestRow from_json(const nlohmann::json& j) {
  return {j.at("id").get<std::string>(), j.at("columns").get<std::map<std::string, std::string>>(),
          j.at("status").get<std::string>()};
}

}  // namespace

std::string relative_to(const fs::path& file, const fs::path& folder) {
  return fs::relative(file, folder).generic_string();
}

RunSummary run_cohort(const io::Cohort& cohort, const CohortTask& task, dist::Communicator& comm) {
  fs::create_directories(task.output);
  const Rows previous = previous_rows(task.output);
  const bool write_as_we_go = comm.size() == 1;
  std::vector<io::ManifestRow> rows(cohort.cases.size());
  std::vector<bool> mine(cohort.cases.size(), false);
  int64_t my_count = 0;
  for (size_t i = 0; i < cohort.cases.size(); ++i) {
    mine[i] = static_cast<int>(i % comm.size()) == comm.rank();
    my_count += mine[i];
    rows[i] = {cohort.cases[i].id, {}, "pending"};  // a killed run leaves these
  }

  // Missing inputs are reported together before any work, then those cases fail alone.
  std::map<std::string, std::string> missing;
  for (const auto& c : cohort.cases) {
    auto files = io::missing_files(c);
    if (!files.empty()) missing[c.id] = files.front().string() + ": no such file";
  }
  if (comm.is_root())
    for (const auto& [id, why] : missing) spdlog::error("case {}: {}", id, why);

  Progress progress(task.what, my_count);
  using Clock = std::chrono::steady_clock;
  Clock::time_point last_write = Clock::now();
  nlohmann::json mine_json = nlohmann::json::array();
  for (size_t i = 0; i < cohort.cases.size(); ++i) {
    if (!mine[i]) continue;
    const io::Case& c = cohort.cases[i];
    if (missing.count(c.id)) {
      rows[i].status = "failed: " + missing.at(c.id);
    } else if (finished_before(c, task, previous)) {
      rows[i] = previous.at(c.id);
      rows[i].status = "ok (resumed)";
    } else {
      try {
        rows[i].columns = task.process(c);
        rows[i].status = "ok";
      } catch (const std::exception& e) {
        rows[i].status = "failed: " + one_line(e.what());
        spdlog::error("case {}: {}", c.id, one_line(e.what()));
      }
    }
    mine_json.push_back(to_json(rows[i]));
    // At most every 2 s: rewriting the whole manifest after each case costs O(cases^2) on a
    // large cohort; a killed run loses at most 2 s of rows, and those cases simply run again.
    if (write_as_we_go && Clock::now() - last_write > std::chrono::seconds(2)) {
      io::write_manifest(task.output, task.columns, rows);
      last_write = Clock::now();
    }
    progress.step(c.id);
  }

  // Rank 0 collects every rank's rows; cases were dealt round-robin so order is restored by id.
  auto gathered = comm.gather_strings(mine_json.dump(), 0);
  RunSummary summary;
  if (!comm.is_root()) return summary;
  std::map<std::string, io::ManifestRow> by_id;
  for (const auto& text : gathered)
    for (const auto& j : nlohmann::json::parse(text)) by_id[j.at("id")] = from_json(j);
  for (auto& row : rows) {
    if (by_id.count(row.case_id)) row = by_id[row.case_id];
    if (row.status == "ok (resumed)") {
      row.status = "ok";
      ++summary.skipped;
    }
    if (row.status == "ok") {
      ++summary.ok;
    } else {
      ++summary.failed;
      summary.failed_ids.push_back(row.case_id);
    }
  }
  io::write_manifest(task.output, task.columns, rows);
  if (summary.skipped > 0)
    spdlog::info("{}: {} case(s) already done by an earlier run, skipped", task.what,
                 summary.skipped);
  return summary;
}

}  // namespace unetx::pipeline
