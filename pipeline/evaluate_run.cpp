#include "pipeline/evaluate_run.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "io/csv.h"
#include "io/dicom_seg.h"
#include "io/error.h"
#include "io/image_io.h"
#include "io/json_file.h"
#include "io/label_io.h"
#include "pipeline/case_metrics.h"
#include "pipeline/evaluate_folds.h"
#include "pipeline/evaluate_report.h"
#include "pipeline/resample_onto.h"
#include "pipeline/statistics.h"

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

// NaN (a distance of an empty mask) is stored as JSON null and read back as NaN.
json number_or_null(double v) { return std::isnan(v) ? json(nullptr) : json(v); }
double number_or_nan(const json& v) {
  return v.is_null() ? std::numeric_limits<double>::quiet_NaN() : v.get<double>();
}

json evaluate_case(const fs::path& pred_file, const fs::path& ref_file, const EvaluateSettings& s) {
  // A DICOM SEG is placed by its frame positions onto the other map's grid.
  const bool pred_is_seg = io::is_dicom_seg_file(pred_file);
  io::Volume ref = pred_is_seg ? io::read_image(ref_file) : io::Volume{};
  io::Volume pred = pred_is_seg ? io::read_label(pred_file, ref) : io::read_image(pred_file);
  if (!pred_is_seg) ref = io::read_label(ref_file, pred);
  if (!io::same_grid(pred, ref)) {
    if (!s.resample_prediction)
      throw Error(pred_file.string(),
                  "grid differs from reference " + ref_file.string() + " (" +
                      pred.geometry.to_string() + " vs " + ref.geometry.to_string() +
                      "); --resample-prediction maps it with nearest neighbour");
    pred = resample_onto_nearest(pred, ref.geometry, ref.size());
  }
  json rows = json::array();
  for (const LabelMetrics& m : evaluate_labels(pred, ref, s.labels, s.metrics)) {
    json row = {{"label", m.label}, {"empty", m.surface.empty}};
    for (const auto& name : metric_names()) row[name] = number_or_null(metric_value(m, name));
    rows.push_back(row);
  }
  return rows;
}

json summary_json(const Summary& s) {
  return {{"n", s.n},
          {"n_nan", s.n_nan},
          {"mean", number_or_null(s.mean)},
          {"std", number_or_null(s.std)},
          {"median", number_or_null(s.median)},
          {"q1", number_or_null(s.q1)},
          {"q3", number_or_null(s.q3)},
          {"iqr", number_or_null(s.iqr)},
          {"ci95", {number_or_null(s.ci_low), number_or_null(s.ci_high)}}};
}

// metric name -> per-case values.
using MetricValues = std::map<std::string, std::vector<double>>;

// summary.json's cross_validation: per_fold (fold -> label -> metric -> mean of the fold) and
// over_folds (label -> metric -> mean, std and number of the fold means).
json cross_validation_json(const CrossValidation& cv) {
  json folds = json::object(), across = json::object();
  for (const auto& [name, labels] : cv) {
    for (const auto& [label, s] : labels) {
      const std::string l = std::to_string(label);
      for (const auto& [fold, mean] : s.fold_means) folds[fold][l][name] = number_or_null(mean);
      across[l][name] = {
          {"mean", number_or_null(s.mean)}, {"std", number_or_null(s.std)}, {"folds", s.folds}};
    }
  }
  return {{"per_fold", folds}, {"over_folds", across}};
}

EvaluationTables case_metrics_of(const io::Cohort& cohort, const fs::path& output,
                                 const RunSummary& summary) {
  EvaluationTables t;
  for (const auto& c : cohort.cases) {
    const fs::path file = output / "cases" / (c.id + ".json");
    const bool failed = std::find(summary.failed_ids.begin(), summary.failed_ids.end(), c.id) !=
                        summary.failed_ids.end();
    if (failed || !fs::exists(file)) continue;
    for (const auto& r : io::read_json(file)) {
      CaseMetricRow row{c.id, r.at("label").get<int64_t>(), r.value("empty", ""), {}, ""};
      for (const auto& m : metric_names()) row.values[m] = number_or_nan(r.at(m));
      if (auto f = c.extra.find("fold"); f != c.extra.end()) row.fold = f->second;
      t.rows.push_back(row);
    }
  }
  return t;
}

// Assembles metrics.csv and summary.json from the per-case files every rank wrote.
void write_tables(const io::Cohort& cohort, const fs::path& output, const RunSummary& summary,
                  const EvaluateSettings& s, const std::map<std::string, fs::path>& predictions,
                  const ReportExtras& extras) {
  const EvaluationTables t = case_metrics_of(cohort, output, summary);
  io::CsvTable table;
  table.header = {"case_id", "label"};
  table.header.insert(table.header.end(), metric_names().begin(), metric_names().end());
  table.header.push_back("empty");
  std::map<int64_t, MetricValues> by_label;
  for (const auto& r : t.rows) {
    std::vector<std::string> row{r.case_id, std::to_string(r.label)};
    for (const auto& m : metric_names()) {
      row.push_back(metric_cell(r.values.at(m)));
      by_label[r.label][m].push_back(r.values.at(m));
    }
    row.push_back(r.empty);
    table.rows.push_back(row);
  }
  io::write_csv(output / "metrics.csv", table);
  MetricSummaries summaries;  // metric -> label -> summary
  json labels = json::object();
  for (const auto& [label, metrics] : by_label) {
    for (const auto& [name, values] : metrics) {
      summaries[name][label] = summarize(values);
      labels[std::to_string(label)][name] = summary_json(summaries[name][label]);
    }
  }
  json j = {{"cases", cohort.cases.size()},
            {"evaluated", summary.ok},
            {"failed", summary.failed_ids},
            {"labels", labels},
            {"nsd_tolerance_mm", s.metrics.nsd_tolerance_mm},
            {"convention",
             {{"overlap",
               "label absent from both prediction and reference: Dice = IoU = 1; absent from "
               "exactly one: 0"},
              {"distances", s.metrics.empty_distance_diagonal
                                ? "one mask empty: hd, hd95, assd = image diagonal; both: 0"
                                : "a mask empty: hd, hd95, assd = NaN (left out, counted in "
                                  "n_nan); NSD 1 when both are empty, else 0"},
              {"statistics",
               "std with n - 1; quartiles by linear interpolation; ci95: percentile bootstrap of "
               "the mean, 2000 resamples, fixed seed"}}}};
  const CrossValidation cv = cross_validation(t.rows);
  if (!cv.empty()) j["cross_validation"] = cross_validation_json(cv);
  io::write_json(output / "summary.json", j);
  for (const auto& [label, metrics] : by_label) {
    const json& l = labels[std::to_string(label)];
    spdlog::info("label {}: Dice {:.4f} ± {:.4f}, HD95 {:.2f} mm, NSD@{}mm {:.4f} over {} case(s)",
                 label, number_or_nan(l["dice"]["mean"]), number_or_nan(l["dice"]["std"]),
                 number_or_nan(l["hd95"]["mean"]), s.metrics.nsd_tolerance_mm,
                 number_or_nan(l["nsd"]["mean"]), metrics.at("dice").size());
  }
  write_evaluation_report(s, cohort, predictions, t.rows, summaries, cv, extras);
}

}  // namespace

EvaluationTables read_case_metrics(const EvaluateSettings& s, const RunSummary& summary) {
  return case_metrics_of(reference_cohort(s.references), s.output, summary);
}

void write_evaluation(const EvaluateSettings& s, const RunSummary& summary,
                      const ReportExtras& extras) {
  write_tables(reference_cohort(s.references), s.output, summary, s,
               prediction_files(s.predictions), extras);
}

RunSummary run_evaluate(const EvaluateSettings& s, dist::Communicator& comm) {
  RunSummary summary = evaluate_cases(s, comm);
  if (comm.is_root()) write_evaluation(s, summary);
  return summary;
}

RunSummary evaluate_cases(const EvaluateSettings& s, dist::Communicator& comm) {
  for (const auto& folder : {s.uncertainty, s.attributions})
    if (!folder.empty() && !fs::is_directory(folder))
      throw Error(folder.string(), "no such folder");
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
    json rows = evaluate_case(it->second, *c.label, s);
    // No label in either map: nothing to find and nothing found, Dice 1 by the convention.
    double mean_dice = rows.empty() ? 1.0 : 0.0;
    for (const auto& r : rows) mean_dice += r.at("dice").get<double>() / rows.size();
    const fs::path file = cases_dir / (c.id + ".json");
    io::write_json(file, rows);
    return {{"metrics", relative_to(file, s.output)},
            {"mean_dice", fmt::format("{:.6g}", mean_dice)}};
  };
  return run_cohort(cohort, task, comm);
}

}  // namespace unetx::pipeline
