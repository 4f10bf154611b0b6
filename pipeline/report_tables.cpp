// The report's tables beyond the summary: cross-validation over folds, and the paired
// comparison of two prediction sets laid out as in the papers.
#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "pipeline/evaluate_folds.h"
#include "pipeline/report_html.h"
#include "pipeline/report_metrics.h"
#include "pipeline/report_sections.h"

namespace unetx::pipeline::report_detail {
namespace {

std::string number(const MetricInfo& info, double v) {
  return std::isnan(v) ? "&mdash;" : format_metric(info, v);
}

std::string p_value(double p) {
  if (std::isnan(p)) return "&mdash;";
  return p < 1e-4 ? "&lt;0.0001" : fmt::format("{:.4f}", p);
}

std::string metric_cell(const MetricInfo& info, bool first) {
  const std::string name = info.display + (info.unit.empty() ? "" : " (" + info.unit + ")");
  return fmt::format("<td class=\"metric\">{}</td>", first ? html_escape(name) : "");
}

// The two means' cells; the better one in bold when the Wilcoxon test finds a difference.
std::pair<std::string, std::string> mean_cells(const MetricInfo& info, const ComparisonRow& r) {
  std::string a = number(info, r.mean_a) + " &plusmn; " + number(info, r.std_a);
  std::string b = number(info, r.mean_b) + " &plusmn; " + number(info, r.std_b);
  const bool decided = info.ranked && r.wilcoxon_p < 0.05 && r.mean_a != r.mean_b;
  const bool a_wins = (r.mean_a > r.mean_b) == info.higher_is_better;
  std::string ca = "<td class=\"num\">", cb = "<td class=\"num\">";
  if (decided) (a_wins ? ca : cb) = "<td class=\"num better\">";
  return {ca + a + "</td>", cb + b + "</td>"};
}

}  // namespace

std::string cross_validation_section(const Context& c) {
  const CrossValidation& cv = c.in.cross_validation;
  if (cv.empty()) return "";
  std::set<std::string, FoldNameLess> folds;
  for (const auto& [metric, labels] : cv)
    for (const auto& [label, s] : labels)
      for (const auto& [fold, mean] : s.fold_means) folds.insert(fold);
  std::string head = "<th>Metric</th><th>Label</th>";
  for (const auto& f : folds) head += "<th class=\"num\">Fold " + html_escape(f) + "</th>";
  head += "<th class=\"num\">Mean &plusmn; SD over folds</th>";
  // The fold-pooled Dice (a cross-validation quantity, no per-case column) right after Dice.
  std::vector<std::string> metrics = c.metrics;
  const auto dice = std::find(metrics.begin(), metrics.end(), "dice");
  if (dice != metrics.end()) metrics.insert(dice + 1, kPooledDice);
  std::string rows;
  for (const auto& metric : metrics) {
    const auto m = cv.find(metric);
    if (m == cv.end()) continue;
    const MetricInfo info = metric_info(metric);
    bool first = true;
    for (int64_t label : c.labels) {
      const auto l = m->second.find(label);
      if (l == m->second.end()) continue;
      const FoldSummary& s = l->second;
      rows += fmt::format("<tr{}>{}<td>{}</td>", first ? " class=\"first\"" : "",
                          metric_cell(info, first), html_escape(label_display(c.in, label)));
      for (const auto& f : folds) {
        const auto it = s.fold_means.find(f);
        rows += "<td class=\"num\">" +
                (it == s.fold_means.end() ? "&mdash;" : number(info, it->second)) + "</td>";
      }
      rows += fmt::format("<td class=\"num\"><b>{} &plusmn; {}</b></td></tr>\n",
                          number(info, s.mean), number(info, s.std));
      first = false;
    }
  }
  return fmt::format(
      "<section id=\"cross-validation\"><h2>Cross-validation</h2>\n<p class=\"note\">{} folds "
      "(the reference manifest's <code>fold</code> column). Each fold's column is the mean over "
      "its cases (the pooled Dice: Dice over all its cases' voxels together); the last column is the mean &plusmn; sample standard deviation of the fold "
      "means. Undefined values are left out of every mean.</p>\n<div class=\"scroll\">"
      "<table class=\"summary\" id=\"cv-table\"><thead><tr>{}</tr></thead>\n<tbody>\n{}</tbody>"
      "</table></div></section>\n",
      folds.size(), head, rows);
}

std::string comparison_section(const Context& c) {
  if (c.in.comparison.empty()) return "";
  const std::string a = html_escape(c.in.comparison_a), b = html_escape(c.in.comparison_b);
  std::string rows;
  for (const auto& metric : c.metrics) {
    const MetricInfo info = metric_info(metric);
    bool first = true;
    for (const auto& r : c.in.comparison) {
      if (r.metric != metric) continue;
      const auto [cell_a, cell_b] = mean_cells(info, r);
      const double diff = r.mean_a - r.mean_b;
      auto p_cell = [](double p) {
        return fmt::format("<td class=\"num{}\">{}</td>", p < 0.05 ? " sig" : "", p_value(p));
      };
      rows += fmt::format(
          "<tr{}>{}<td>{}</td><td class=\"num\">{}</td>{}{}<td class=\"num\">{}{}</td>{}{}</tr>\n",
          first ? " class=\"first\"" : "", metric_cell(info, first),
          html_escape(label_display(c.in, r.label)), r.n, cell_a, cell_b,
          !std::isnan(diff) && diff > 0 ? "+" : "", number(info, diff), p_cell(r.t_p),
          p_cell(r.wilcoxon_p));
      first = false;
    }
  }
  return fmt::format(
      "<section id=\"comparison\"><h2>Paired comparison</h2>\n<p class=\"note\">A = <b>{0}</b>, "
      "B = <b>{1}</b>, on the same cases and labels: mean &plusmn; sample standard deviation "
      "over the <i>n</i> cases where both are defined, the difference of the means (A &minus; B), "
      "and two-sided p-values of the paired t-test and of the Wilcoxon signed-rank test. Bold: "
      "the better mean where the Wilcoxon test finds a difference (p &lt; 0.05); p-values below "
      "0.05 are highlighted. Also in comparison.csv.</p>\n<div class=\"scroll\">"
      "<table class=\"summary\" id=\"comparison-table\"><thead><tr><th>Metric</th><th>Label</th>"
      "<th class=\"num\">n</th><th class=\"num\" title=\"{0}\">A</th>"
      "<th class=\"num\" title=\"{1}\">B</th>"
      "<th class=\"num\">&Delta; (A &minus; B)</th><th class=\"num\">t-test p</th>"
      "<th class=\"num\">Wilcoxon p</th></tr></thead>\n<tbody>\n{2}</tbody></table></div>"
      "</section>\n",
      a, b, rows);
}

}  // namespace unetx::pipeline::report_detail
