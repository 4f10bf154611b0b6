#include "pipeline/report.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <set>

#include "io/atomic_file.h"
#include "io/error.h"
#include "pipeline/report_html.h"
#include "pipeline/report_metrics.h"
#include "pipeline/report_page.h"
#include "pipeline/report_sections.h"
#include "pipeline/report_thumbnail.h"

namespace unetx::pipeline {
namespace report_detail {

std::vector<double> metric_values(const Context& c, const std::string& metric, int64_t label) {
  std::vector<double> values;
  for (const auto& r : c.in.rows) {
    if (r.label != label) continue;
    const auto it = r.values.find(metric);
    if (it != r.values.end()) values.push_back(it->second);
  }
  return values;
}

Summary summary_for(const Context& c, const std::string& metric, int64_t label) {
  const auto m = c.in.summaries.find(metric);
  if (m != c.in.summaries.end()) {
    const auto l = m->second.find(label);
    if (l != m->second.end()) return l->second;
  }
  return summarize(metric_values(c, metric, label));
}

std::string file_stem(const std::string& name) {
  std::string stem;
  for (char ch : name) {
    const auto u = static_cast<unsigned char>(ch);
    stem += std::isalnum(u) || ch == '-' || ch == '_' ? static_cast<char>(std::tolower(u)) : '_';
  }
  return stem.empty() ? "_" : stem;
}

std::string summary_section(const Context& c) {
  std::string rows;
  for (const auto& metric : c.metrics) {
    const MetricInfo info = metric_info(metric);
    bool first = true;
    for (int64_t label : c.labels) {
      const Summary s = summary_for(c, metric, label);
      const std::string name = info.display + (info.unit.empty() ? "" : " (" + info.unit + ")");
      auto f = [&](double v) { return std::isnan(v) ? "&mdash;" : format_metric(info, v); };
      rows += fmt::format(
          "<tr{}><td class=\"metric\">{}</td><td>{}</td><td class=\"num\">{} &plusmn; {}</td>"
          "<td class=\"num\">{} [{}, {}]</td><td class=\"num\">[{}, {}]</td>"
          "<td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
          first ? " class=\"first\"" : "", first ? html_escape(name) : "",
          html_escape(label_display(c.in, label)), f(s.mean), f(s.std), f(s.median), f(s.q1),
          f(s.q3), f(s.ci_low), f(s.ci_high), s.n, s.n_nan);
      first = false;
    }
  }
  return fmt::format(
      "<section id=\"summary\"><h2>Summary</h2>\n<p class=\"note\">Mean &plusmn; sample standard "
      "deviation, median [first quartile, third quartile], percentile-bootstrap 95% confidence "
      "interval of the mean. <i>n</i> counts defined values; <i>n empty</i> counts undefined ones "
      "(e.g. surface distances when a mask is empty), which are left out of every statistic."
      "</p>\n<div class=\"scroll\"><table class=\"summary\"><thead><tr><th>Metric</th>"
      "<th>Label</th><th class=\"num\">Mean &plusmn; SD</th><th class=\"num\">Median [IQR]</th>"
      "<th class=\"num\">95% CI</th><th class=\"num\">n</th><th class=\"num\">n empty</th></tr>"
      "</thead>\n<tbody>\n{}</tbody></table></div></section>\n",
      rows);
}

std::string cases_section(const Context& c) {
  std::string head =
      "<th data-key=\"case_id\" data-type=\"text\">Case</th>"
      "<th data-key=\"label\" data-type=\"text\">Label</th>";
  for (const auto& metric : c.metrics) {
    const MetricInfo info = metric_info(metric);
    head += fmt::format("<th class=\"num\" data-key=\"{}\" data-type=\"num\" title=\"{}\">{}</th>",
                        html_escape(metric), html_escape(info.display), html_escape(metric));
  }
  std::string body;
  for (const auto& r : c.in.rows) {
    body += fmt::format("<tr class=\"case-row\"><td>{}</td><td>{}</td>", html_escape(r.case_id),
                        html_escape(label_display(c.in, r.label)));
    for (const auto& metric : c.metrics) {
      const MetricInfo info = metric_info(metric);
      const auto it = r.values.find(metric);
      const double v = it == r.values.end() ? std::nan("") : it->second;
      if (std::isnan(v)) {
        body += "<td class=\"num empty\" data-v=\"NaN\" title=\"not defined\">&mdash;</td>";
        continue;
      }
      // Shade [0, 1] metrics from red (bad) to green (good) so failures stand out in the list.
      std::string shade;
      if (info.unit_interval) {
        const double good = std::clamp(info.higher_is_better ? v : 1 - v, 0.0, 1.0);
        shade = fmt::format(" style=\"background:hsla({:.0f},70%,50%,0.16)\"", 120 * good);
      }
      body += fmt::format("<td class=\"num\" data-v=\"{:.17g}\"{}>{}</td>", v, shade,
                          format_metric(info, v));
    }
    body += "</tr>\n";
  }
  return fmt::format(
      "<section id=\"cases\"><h2>Per-case metrics</h2>\n<p class=\"note\">One row per case and "
      "label. Click a column header to sort (again to reverse); undefined values (&mdash;) stay "
      "last.</p>\n<div class=\"toolbar\"><input id=\"case-filter\" type=\"search\" "
      "placeholder=\"Filter by case id\" aria-label=\"Filter by case id\"><span class=\"note\">"
      "{} rows</span></div>\n<div class=\"scroll\"><table id=\"case-table\"><thead><tr>{}</tr>"
      "</thead>\n<tbody>\n{}</tbody></table></div></section>\n",
      c.in.rows.size(), head, body);
}

}  // namespace report_detail

namespace {

using report_detail::Context;

// Headline numbers: case count and the mean Dice of each label.
std::string kpis(const Context& c) {
  std::set<std::string> cases;
  for (const auto& r : c.in.rows) cases.insert(r.case_id);
  std::string out =
      fmt::format("<div class=\"kpi\"><div class=\"v\">{}</div><div class=\"k\">cases</div></div>",
                  cases.size());
  if (std::find(c.metrics.begin(), c.metrics.end(), "dice") == c.metrics.end()) return out;
  for (int64_t label : c.labels) {
    const Summary s = report_detail::summary_for(c, "dice", label);
    out += fmt::format(
        "<div class=\"kpi\"><div class=\"v\">{:.3f}</div><div class=\"k\">mean Dice, {}</div>"
        "</div>",
        s.mean, html_escape(label_display(c.in, label)));
  }
  return out;
}

std::string page(const Context& c, const std::vector<std::string>& sections) {
  static const std::vector<std::pair<std::string, std::string>> kNav{
      {"summary", "Summary"},       {"cross-validation", "Cross-validation"},
      {"comparison", "Comparison"}, {"distributions", "Distributions"},
      {"training", "Training"},     {"uncertainty", "Uncertainty"},
      {"gallery", "Best & worst"},  {"cases", "Per-case table"}};
  std::string nav, body;
  for (const auto& s : sections) body += s;
  for (const auto& [id, name] : kNav)
    if (body.find("<section id=\"" + id + "\"") != std::string::npos)
      nav += fmt::format("<a href=\"#{}\">{}</a>", id, name);
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n<header>\n<h1>{}</h1>\n{}"
      "<div class=\"kpis\">{}</div>\n<nav>{}</nav>\n</header>\n<main>\n{}</main>\n"
      "<footer>Written by unetx evaluate. Self-contained: no network access needed.</footer>\n"
      "<script>{}</script>\n</body>\n</html>\n",
      html_escape(c.in.title), report_css(), html_escape(c.in.title),
      c.in.subtitle.empty() ? "" : "<p class=\"sub\">" + html_escape(c.in.subtitle) + "</p>\n",
      kpis(c), nav, body, report_script());
}

}  // namespace

void write_report(const ReportInputs& in, const fs::path& out_html) {
  std::set<int64_t> labels;
  for (const auto& r : in.rows) labels.insert(r.label);
  Context c{in,
            metric_order(in),
            {labels.begin(), labels.end()},
            out_html.parent_path() / "report_plots"};
  fs::create_directories(c.plots_dir);
  using namespace report_detail;
  const std::string html =
      page(c, {summary_section(c), cross_validation_section(c), comparison_section(c),
               distributions_section(c), training_section(c), uncertainty_section(c),
               gallery_section(c), cases_section(c)});
  io::write_text_atomic(out_html, html);
}

std::map<std::string, double> mean_dice_by_case(const std::vector<CaseMetricRow>& rows) {
  std::map<std::string, std::pair<double, int>> sums;
  for (const auto& r : rows) {
    const auto it = r.values.find("dice");
    if (it == r.values.end() || std::isnan(it->second)) continue;
    sums[r.case_id].first += it->second;
    sums[r.case_id].second += 1;
  }
  std::map<std::string, double> mean;
  for (const auto& [id, s] : sums) mean[id] = s.first / s.second;
  return mean;
}

std::pair<std::vector<std::string>, std::vector<std::string>> best_and_worst_cases(
    const std::vector<CaseMetricRow>& rows, size_t count) {
  const auto mean = mean_dice_by_case(rows);
  std::vector<std::pair<double, std::string>> order;
  for (const auto& [id, dice] : mean) order.emplace_back(dice, id);
  // Map order is by id, so a stable sort by Dice breaks ties by id.
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> best, worst;
  for (size_t i = 0; i < std::min(count, order.size()); ++i) best.push_back(order[i].second);
  for (size_t i = 0; i < count && best.size() + i < order.size(); ++i)
    worst.push_back(order[order.size() - 1 - i].second);
  return {best, worst};
}

CaseThumbnail thumbnail_from_volumes(const std::string& case_id, CaseThumbnail::Kind kind,
                                     const at::Tensor& image, const at::Tensor& reference,
                                     const at::Tensor& prediction, const at::Tensor& attribution) {
  const at::Tensor img = image.dim() == 4 ? image[0] : image;
  if (img.dim() != 3 || reference.sizes() != img.sizes() || prediction.sizes() != img.sizes() ||
      (attribution.defined() && attribution.sizes() != img.sizes()))
    throw Error(case_id,
                "thumbnail needs (Z, Y, X) image, reference, prediction (and "
                "attribution) of one shape");
  CaseThumbnail t;
  t.case_id = case_id;
  t.kind = kind;
  t.slice = largest_area_slice(reference);
  t.image = img[t.slice];
  t.reference = reference[t.slice];
  t.prediction = prediction[t.slice];
  if (attribution.defined()) t.attribution = attribution[t.slice];
  return t;
}

}  // namespace unetx::pipeline
