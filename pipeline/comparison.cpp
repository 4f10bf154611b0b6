#include "pipeline/comparison.h"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <utility>

#include "io/csv.h"
#include "pipeline/case_metrics.h"
#include "pipeline/statistics.h"

namespace unetx::pipeline {
namespace {

std::string p_value(double p) {
  if (std::isnan(p)) return "n/a";
  return p < 1e-4 ? "<1e-4" : fmt::format("{:.4f}", p);
}

std::string mean_std(double mean, double std) {
  return std::isnan(mean) ? "n/a" : fmt::format("{:.4g} ± {:.2g}", mean, std);
}

}  // namespace

std::vector<ComparisonRow> compare_evaluations(const EvaluationTables& a,
                                               const EvaluationTables& b) {
  std::map<std::pair<std::string, int64_t>, const CaseMetricRow*> b_rows;
  for (const auto& r : b.rows) b_rows[{r.case_id, r.label}] = &r;
  // label -> metric -> paired values
  std::map<int64_t, std::map<std::string, std::pair<std::vector<double>, std::vector<double>>>>
      pairs;
  for (const auto& r : a.rows) {
    auto it = b_rows.find({r.case_id, r.label});
    if (it == b_rows.end()) continue;
    for (const auto& m : metric_names()) {
      pairs[r.label][m].first.push_back(r.values.at(m));
      pairs[r.label][m].second.push_back(it->second->values.at(m));
    }
  }
  std::vector<ComparisonRow> out;
  for (const auto& [label, metrics] : pairs) {
    for (const auto& m : metric_names()) {
      const auto& [va, vb] = metrics.at(m);
      const PairedTest t = paired_test(va, vb);
      // Descriptives over the same paired cases the tests use.
      std::vector<double> fa, fb;
      for (size_t i = 0; i < va.size(); ++i) {
        if (!std::isnan(va[i]) && !std::isnan(vb[i])) {
          fa.push_back(va[i]);
          fb.push_back(vb[i]);
        }
      }
      const Summary sa = summarize(fa, 0.95, 1), sb = summarize(fb, 0.95, 1);
      out.push_back({m, label, t.n, sa.mean, sa.std, sb.mean, sb.std, t.t_p, t.wilcoxon_p});
    }
  }
  return out;
}

std::string comparison_table(const std::vector<ComparisonRow>& rows, const std::string& name_a,
                             const std::string& name_b) {
  std::string out = fmt::format("{:<14} {:>5} {:>4} {:>20} {:>20} {:>10} {:>10}\n", "metric",
                                "label", "n", name_a, name_b, "t-test p", "Wilcoxon p");
  for (const auto& r : rows) {
    out += fmt::format("{:<14} {:>5} {:>4} {:>20} {:>20} {:>10} {:>10}\n", r.metric, r.label, r.n,
                       mean_std(r.mean_a, r.std_a), mean_std(r.mean_b, r.std_b), p_value(r.t_p),
                       p_value(r.wilcoxon_p));
  }
  return out;
}

ComparisonRun run_evaluate_comparison(const EvaluateSettings& settings,
                                      const std::filesystem::path& other_predictions,
                                      dist::Communicator& comm) {
  ComparisonRun run;
  EvaluateSettings other = settings;
  other.predictions = other_predictions;
  other.output = settings.output / "compare";
  // A's report shows the comparison, so A's tables are written last, once B's rows exist.
  run.a = evaluate_cases(settings, comm);
  run.b = run_evaluate(other, comm);
  if (comm.is_root()) {
    ReportExtras extras;
    extras.comparison =
        compare_evaluations(read_case_metrics(settings, run.a), read_case_metrics(other, run.b));
    write_comparison_csv(extras.comparison, settings.output / "comparison.csv");
    auto name = [](const std::filesystem::path& p) {
      const auto n = p.lexically_normal();
      return (n.filename().empty() ? n.parent_path().filename() : n.filename()).string();
    };
    extras.comparison_a = name(settings.predictions);
    extras.comparison_b = name(other_predictions);
    if (extras.comparison_a == extras.comparison_b) {  // e.g. run1/pred and run2/pred
      extras.comparison_a = settings.predictions.lexically_normal().string();
      extras.comparison_b = other_predictions.lexically_normal().string();
    }
    run.table = comparison_table(extras.comparison, extras.comparison_a, extras.comparison_b);
    write_evaluation(settings, run.a, extras);
  }
  return run;
}

void write_comparison_csv(const std::vector<ComparisonRow>& rows,
                          const std::filesystem::path& file) {
  io::CsvTable table;
  table.header = {"metric", "label", "n",        "mean_a",    "std_a",
                  "mean_b", "std_b", "t_test_p", "wilcoxon_p"};
  for (const auto& r : rows) {
    table.rows.push_back({r.metric, std::to_string(r.label), std::to_string(r.n),
                          metric_cell(r.mean_a), metric_cell(r.std_a), metric_cell(r.mean_b),
                          metric_cell(r.std_b), metric_cell(r.t_p), metric_cell(r.wilcoxon_p)});
  }
  io::write_csv(file, table);
}

}  // namespace unetx::pipeline
