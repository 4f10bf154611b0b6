// The report's figure sections: box plots, training curves, uncertainty scatter, case gallery.
// Each figure is drawn once as a plot::Scene, then written both as inline SVG and as PNG.
#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "io/png.h"
#include "pipeline/plot_charts.h"
#include "pipeline/png_plot.h"
#include "pipeline/report_html.h"
#include "pipeline/report_metrics.h"
#include "pipeline/report_sections.h"
#include "pipeline/report_thumbnail.h"
#include "pipeline/report_training_log.h"
#include "pipeline/svg_plot.h"

namespace unetx::pipeline::report_detail {
namespace {

// `caption_html` is inserted as is: callers escape what came from the inputs.
std::string figure(const plot::Scene& scene, const std::filesystem::path& png,
                   const std::string& caption_html) {
  plot::write_png(scene, png);
  return fmt::format("<figure>{}<figcaption>{} PNG: report_plots/{}</figcaption></figure>\n",
                     plot::to_svg(scene), caption_html, html_escape(png.filename().string()));
}

// Ranks with ties sharing their mean rank (1-based).
std::vector<double> ranks(const std::vector<double>& v) {
  std::vector<size_t> idx(v.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  for (size_t i = 0; i < idx.size();) {
    size_t j = i;
    while (j + 1 < idx.size() && v[idx[j + 1]] == v[idx[i]]) ++j;
    for (size_t k = i; k <= j; ++k) r[idx[k]] = 0.5 * static_cast<double>(i + j) + 1;
    i = j + 1;
  }
  return r;
}

// Spearman's rank correlation: Pearson's correlation of the ranks; NaN when undefined.
double spearman(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() < 3) return std::nan("");
  const std::vector<double> a = ranks(x), b = ranks(y);
  const double ma = std::accumulate(a.begin(), a.end(), 0.0) / a.size();
  const double mb = std::accumulate(b.begin(), b.end(), 0.0) / b.size();
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : std::nan("");
}

std::string image_tag(const RgbImage& img, const std::filesystem::path& png,
                      const std::string& caption) {
  io::write_png_rgb(png, img.width, img.height, img.rgb);
  return fmt::format(
      "<figure><img src=\"{}\" width=\"{}\" height=\"{}\" alt=\"{}\"><figcaption>{}</figcaption>"
      "</figure>",
      png_data_uri(png), img.width, img.height, html_escape(caption), html_escape(caption));
}

std::string swatch(const std::array<uint8_t, 3>& c, const std::string& text) {
  return fmt::format(
      "<span><span class=\"swatch\" style=\"background:rgb({},{},{})\"></span>{}"
      "</span>",
      c[0], c[1], c[2], text);
}

}  // namespace

std::string distributions_section(const Context& c) {
  if (c.in.rows.empty()) return "";
  std::string figures;
  for (const auto& metric : c.metrics) {
    const MetricInfo info = metric_info(metric);
    std::vector<plot::BoxSeries> series;
    for (int64_t label : c.labels) {
      plot::BoxSeries b{label_display(c.in, label), summary_for(c, metric, label), {}};
      for (double v : metric_values(c, metric, label))
        if (!std::isnan(v)) b.values.push_back(v);
      series.push_back(std::move(b));
    }
    const std::string title = info.display + (info.unit.empty() ? "" : " (" + info.unit + ")");
    std::optional<std::pair<double, double>> range;
    if (info.unit_interval) range = std::pair{0.0, 1.0};
    figures += figure(plot::box_plot(title, series, range),
                      c.plots_dir / ("box_" + file_stem(metric) + ".png"),
                      html_escape(title) +
                          (info.higher_is_better ? ", higher is better." : ", lower is better."));
  }
  return "<section id=\"distributions\"><h2>Distributions</h2>\n<p class=\"note\">Boxes span "
         "the first to third quartile with the median as a line and the mean as a white dot; "
         "whiskers reach the furthest case within 1.5 IQR of the box; every case is a dot. "
         "Hover over a box or dot for its values.</p>\n<div class=\"grid\">\n" +
         figures + "</div></section>\n";
}

std::string training_section(const Context& c) {
  if (c.in.training_logs.empty()) return "";
  std::vector<plot::LineSeries> loss, dice;
  for (const auto& log : c.in.training_logs) {
    plot::LineSeries l{log.name, {}}, d{log.name, {}};
    for (const auto& e : read_training_log(log.file)) {
      // Epochs are 0-based in the log; people count from 1.
      if (!std::isnan(e.train_loss)) l.points.emplace_back(e.epoch + 1, e.train_loss);
      if (!std::isnan(e.val_dice)) d.points.emplace_back(e.epoch + 1, e.val_dice);
    }
    loss.push_back(std::move(l));
    dice.push_back(std::move(d));
  }
  const plot::Scene left = plot::line_plot("Training loss", "epoch", "train loss", loss);
  const plot::Scene right =
      plot::line_plot("Validation Dice", "epoch", "val Dice", dice, std::pair{0.0, 1.0});
  plot::Scene both;
  both.width = left.width + right.width;
  both.height = std::max(left.height, right.height);
  both.title = "Training curves";
  both.append(left, 0, 0);
  both.append(right, left.width, 0);
  return "<section id=\"training\"><h2>Training curves</h2>\n<p class=\"note\">From the "
         "train_log.jsonl of each training run, one line per run.</p>\n" +
         figure(both, c.plots_dir / "training_curves.png", "Training loss and validation Dice.") +
         "</section>\n";
}

std::string uncertainty_section(const Context& c) {
  if (c.in.uncertainty.empty()) return "";
  const auto dice = mean_dice_by_case(c.in.rows);
  std::vector<plot::ScatterPoint> points;
  std::vector<double> xs, ys;
  for (const auto& [id, u] : c.in.uncertainty) {
    const auto it = dice.find(id);
    if (it == dice.end() || !std::isfinite(u)) continue;
    points.push_back(
        {u, it->second,
         fmt::format("{}: {} {:.4g}, Dice {:.3f}", id, c.in.uncertainty_name, u, it->second)});
    xs.push_back(u);
    ys.push_back(it->second);
  }
  const double rho = spearman(xs, ys);
  const plot::Scene scene =
      plot::scatter_plot("Uncertainty vs Dice", c.in.uncertainty_name, "mean Dice of the case",
                         points, std::pair{0.0, 1.0});
  const std::string caption = fmt::format(
      "{} cases with both values; Spearman's rho = {}. A useful uncertainty falls as Dice rises "
      "(negative rho).",
      points.size(), std::isnan(rho) ? "n/a" : fmt::format("{:.3f}", rho));
  return "<section id=\"uncertainty\"><h2>Uncertainty against Dice</h2>\n<p class=\"note\">"
         "Each dot is a case: its " +
         html_escape(c.in.uncertainty_name) + " against its Dice averaged over labels.</p>\n" +
         figure(scene, c.plots_dir / "uncertainty_vs_dice.png", html_escape(caption)) +
         "</section>\n";
}

std::string gallery_section(const Context& c) {
  if (c.in.thumbnails.empty()) return "";
  const auto dice = mean_dice_by_case(c.in.rows);
  std::string cards;
  int best = 0, worst = 0;
  for (const auto& t : c.in.thumbnails) {
    const bool is_best = t.kind == CaseThumbnail::Kind::kBest;
    const std::string kind = is_best ? "best" : "worst";
    const int k = is_best ? ++best : ++worst;
    const std::string stem = fmt::format("thumb_{}_{}", kind, k);
    const int scale = thumbnail_scale(t.image.size(0), t.image.size(1));
    std::string panels =
        image_tag(render_contours(t.image, t.reference, t.prediction, scale),
                  c.plots_dir / (stem + ".png"), "reference and prediction contours") +
        image_tag(render_errors(t.image, t.reference, t.prediction, scale),
                  c.plots_dir / (stem + "_errors.png"), "missed and spurious voxels");
    if (t.attribution.defined())
      panels += image_tag(render_heat(t.image, t.attribution, t.prediction, scale),
                          c.plots_dir / (stem + "_attribution.png"), "attribution");
    const auto d = dice.find(t.case_id);
    cards += fmt::format(
        "<div class=\"case\"><h3><span class=\"tag {}\">{} #{}</span>{}<span class=\"note\">"
        " &middot; mean Dice {}{}</span></h3><div class=\"panels\">{}</div></div>\n",
        kind, kind, k, html_escape(t.case_id),
        d == dice.end() ? "n/a" : fmt::format("{:.3f}", d->second),
        t.slice >= 0 ? fmt::format(" &middot; slice z = {}", t.slice) : "", panels);
  }
  return "<section id=\"gallery\"><h2>Best and worst cases</h2>\n<p class=\"note\">Cases ranked "
         "by Dice averaged over labels; one slice each (the largest reference area), row 0 at "
         "the top.</p>\n<div class=\"legend\">" +
         swatch(kReferenceColour, "reference contour") +
         swatch(kPredictionColour, "prediction contour") +
         swatch(kMissedColour, "missed (false negative)") +
         swatch(kSpuriousColour, "spurious (false positive)") +
         "<span>attribution: dark red (low) to white (high)</span></div>\n<div class=\"gallery\">" +
         cards + "</div></section>\n";
}

}  // namespace unetx::pipeline::report_detail
