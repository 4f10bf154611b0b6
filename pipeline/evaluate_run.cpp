#include "pipeline/evaluate_run.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "io/csv.h"
#include "io/error.h"
#include "io/image_io.h"
#include "io/json_file.h"
#include "pipeline/metrics.h"

namespace unetx::pipeline {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// case id -> predicted label map file.
std::map<std::string, fs::path> prediction_files(const fs::path& predictions) {
  std::map<std::string, fs::path> files;
  const fs::path manifest = predictions / "manifest.csv";
  if (fs::is_directory(predictions) && fs::exists(manifest)) {
    for (const auto& row : io::read_manifest(manifest))
      if (row.status == "ok" && row.columns.count("mask"))
        files[row.case_id] = predictions / row.columns.at("mask");
    return files;
  }
  for (const auto& c : io::read_cohort(predictions).cases) files[c.id] = c.images.front();
  return files;
}

// Every case of a folder of label maps is its own reference; a manifest names them in `label`.
io::Cohort reference_cohort(const fs::path& references) {
  io::Cohort cohort = io::read_cohort(references);
  for (auto& c : cohort.cases)
    if (!c.label && fs::is_directory(references)) c.label = c.images.front();
  return cohort;
}

std::vector<int64_t> labels_present(const at::Tensor& a, const at::Tensor& b) {
  std::set<int64_t> values;
  for (const auto& t : {a, b}) {
    at::Tensor u = std::get<0>(at::_unique(t.flatten().to(at::kLong)));
    for (int64_t i = 0; i < u.numel(); ++i)
      if (u[i].item<int64_t>() > 0) values.insert(u[i].item<int64_t>());
  }
  return {values.begin(), values.end()};
}

json evaluate_case(const fs::path& pred_file, const fs::path& ref_file,
                   const std::vector<int64_t>& wanted) {
  io::Volume pred = io::read_image(pred_file);
  io::Volume ref = io::read_image(ref_file);
  if (!io::same_grid(pred, ref))
    throw Error(pred_file.string(), "grid differs from reference " + ref_file.string() + " (" +
                                        pred.geometry.to_string() + " vs " +
                                        ref.geometry.to_string() + ")");
  json rows = json::array();
  for (int64_t label : wanted.empty() ? labels_present(pred.data, ref.data) : wanted) {
    Overlap o = overlap(pred.data, ref.data, label);
    rows.push_back({{"label", label},
                    {"dice", o.dice()},
                    {"iou", o.iou()},
                    {"precision", o.precision()},
                    {"recall", o.recall()},
                    {"vol_pred_ml", (o.tp + o.fp) * pred.voxel_ml()},
                    {"vol_ref_ml", (o.tp + o.fn) * ref.voxel_ml()}});
  }
  return rows;
}

const std::vector<std::string> kMetricColumns{"dice",   "iou",         "precision",
                                              "recall", "vol_pred_ml", "vol_ref_ml"};

json statistics(std::vector<double> v) {
  if (v.empty()) return json::object();
  std::sort(v.begin(), v.end());
  double mean = 0.0, var = 0.0;
  for (double x : v) mean += x;
  mean /= v.size();
  for (double x : v) var += (x - mean) * (x - mean);
  const double std = v.size() > 1 ? std::sqrt(var / (v.size() - 1)) : 0.0;
  const double median =
      v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
  return {{"mean", mean},     {"std", std},      {"median", median},
          {"min", v.front()}, {"max", v.back()}, {"n", v.size()}};
}

// Assembles metrics.csv and summary.json from the per-case files every rank wrote.
void write_tables(const io::Cohort& cohort, const fs::path& output, const RunSummary& summary) {
  io::CsvTable table;
  table.header = {"case_id", "label"};
  table.header.insert(table.header.end(), kMetricColumns.begin(), kMetricColumns.end());
  std::map<int64_t, std::map<std::string, std::vector<double>>> by_label;
  for (const auto& c : cohort.cases) {
    const fs::path file = output / "cases" / (c.id + ".json");
    if (std::find(summary.failed_ids.begin(), summary.failed_ids.end(), c.id) !=
            summary.failed_ids.end() ||
        !fs::exists(file))
      continue;
    for (const auto& r : io::read_json(file)) {
      std::vector<std::string> row{c.id, std::to_string(r.at("label").get<int64_t>())};
      for (const auto& m : kMetricColumns) {
        row.push_back(fmt::format("{:.6g}", r.at(m).get<double>()));
        by_label[r.at("label").get<int64_t>()][m].push_back(r.at(m).get<double>());
      }
      table.rows.push_back(row);
    }
  }
  io::write_csv(output / "metrics.csv", table);
  json labels = json::object();
  for (const auto& [label, metrics] : by_label)
    for (const auto& [name, values] : metrics)
      labels[std::to_string(label)][name] = statistics(values);
  json j = {{"cases", cohort.cases.size()},
            {"evaluated", summary.ok},
            {"failed", summary.failed_ids},
            {"labels", labels},
            {"convention",
             "label absent from both prediction and reference: Dice = IoU = 1; "
             "absent from exactly one: 0"}};
  io::write_json(output / "summary.json", j);
  for (const auto& [label, metrics] : by_label)
    spdlog::info("label {}: mean Dice {:.4f}, mean IoU {:.4f} over {} case(s)", label,
                 labels[std::to_string(label)]["dice"]["mean"].get<double>(),
                 labels[std::to_string(label)]["iou"]["mean"].get<double>(),
                 metrics.at("dice").size());
}

}  // namespace

RunSummary run_evaluate(const EvaluateSettings& s, dist::Communicator& comm) {
  const auto predictions = prediction_files(s.predictions);
  const io::Cohort cohort = reference_cohort(s.references);
  const fs::path cases_dir = s.output / "cases";
  fs::create_directories(cases_dir);

  CohortTask task;
  task.what = "evaluate";
  task.output = s.output;
  task.columns = {"metrics", "mean_dice"};
  task.outputs = [&](const io::Case& c) {
    return std::vector<fs::path>{cases_dir / (c.id + ".json")};
  };
  task.process = [&](const io::Case& c) -> std::map<std::string, std::string> {
    auto it = predictions.find(c.id);
    if (it == predictions.end())
      throw Error(s.predictions.string(), "no prediction for case " + c.id);
    if (!c.label) throw Error(s.references.string(), "case " + c.id + " has no reference label");
    json rows = evaluate_case(it->second, *c.label, s.labels);
    // No label in either map: nothing to find and nothing found, Dice 1 by the convention.
    double mean_dice = rows.empty() ? 1.0 : 0.0;
    for (const auto& r : rows) mean_dice += r.at("dice").get<double>() / rows.size();
    const fs::path file = cases_dir / (c.id + ".json");
    io::write_json(file, rows);
    return {{"metrics", relative_to(file, s.output)},
            {"mean_dice", fmt::format("{:.6g}", mean_dice)}};
  };
  RunSummary summary = run_cohort(cohort, task, comm);
  if (comm.is_root()) write_tables(cohort, s.output, summary);
  return summary;
}

}  // namespace unetx::pipeline
