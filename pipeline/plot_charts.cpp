#include "pipeline/plot_charts.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace unetx::pipeline::plot {
namespace {

const Colour kInk{51, 51, 51};
const Colour kMuted{110, 110, 110};
const Colour kGrid{228, 228, 228};
const Colour kWhite{255, 255, 255};

// Horizontal grid lines with tick labels on the left of the plot area [x0, x1].
void y_axis(Scene& s, const LinearAxis& axis, double x0, double x1) {
  for (double v : axis.ticks()) {
    const double y = axis.map(v);
    s.shapes.push_back(Line{x0, y, x1, y, kGrid, 1, false});
    s.shapes.push_back(Text{x0 - 6, y + 4, tick_label(v), 11, Anchor::kEnd, kMuted});
  }
}

// Vertical grid lines with tick labels under the plot area [y0, y1].
void x_axis(Scene& s, const LinearAxis& axis, double y0, double y1) {
  for (double v : axis.ticks()) {
    const double x = axis.map(v);
    s.shapes.push_back(Line{x, y0, x, y1, kGrid, 1, false});
    s.shapes.push_back(Text{x, y1 + 16, tick_label(v), 11, Anchor::kMiddle, kMuted});
  }
}

void title(Scene& s, const std::string& text) {
  s.title = text;
  s.shapes.push_back(Text{12, 22, text, 14, Anchor::kStart, kInk, true});
}

std::pair<double, double> data_range(const std::vector<double>& values, bool include_zero) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (double v : values)
    if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  if (!std::isfinite(lo)) return {0.0, 1.0};
  if (include_zero && lo >= 0) lo = 0;
  return nice_range(lo, hi);
}

// Deterministic jitter in [-1, 1]: the golden-ratio sequence spreads dots evenly without
// randomness, so reruns draw the same picture.
double jitter(size_t i) {
  const double f = std::fmod(0.5 + static_cast<double>(i) * 0.6180339887498949, 1.0);
  return 2.0 * f - 1.0;
}

void one_box(Scene& s, const BoxSeries& b, const LinearAxis& axis, double cx, Colour colour) {
  using L = BoxPlotLayout;
  const Summary& q = b.summary;
  const double half = L::kBoxWidth / 2;
  if (q.n == 0 || !std::isfinite(q.q1)) {
    s.shapes.push_back(
        Text{cx, axis.map(0.5 * (axis.lo + axis.hi)), "no values", 11, Anchor::kMiddle, kMuted});
    return;
  }
  double low = q.q1, high = q.q3;  // Tukey whiskers: extreme values within 1.5 IQR of the box
  for (double v : b.values) {
    if (v >= q.q1 - 1.5 * q.iqr) low = std::min(low, v);
    if (v <= q.q3 + 1.5 * q.iqr) high = std::max(high, v);
  }
  for (auto [from, to] : {std::pair{q.q3, high}, std::pair{q.q1, low}}) {
    s.shapes.push_back(Line{cx, axis.map(from), cx, axis.map(to), kInk, 1.2, false});
    s.shapes.push_back(
        Line{cx - half / 2, axis.map(to), cx + half / 2, axis.map(to), kInk, 1.2, false});
  }
  Rect box{cx - half,
           axis.map(q.q3),
           L::kBoxWidth,
           axis.map(q.q1) - axis.map(q.q3),
           colour,
           0.22,
           colour,
           1.5,
           "box",
           fmt::format("{}: median {:.4g}, Q1 {:.4g}, Q3 {:.4g}, mean {:.4g}, n {}", b.name,
                       q.median, q.q1, q.q3, q.mean, q.n)};
  s.shapes.push_back(box);
  for (size_t i = 0; i < b.values.size(); ++i) {
    const bool outlier = b.values[i] < low || b.values[i] > high;
    s.shapes.push_back(Circle{cx + jitter(i) * half * 0.8, axis.map(b.values[i]),
                              outlier ? 3.0 : 2.2, colour, outlier ? 0.9 : 0.45, kWhite,
                              outlier ? 0.8 : 0.0, fmt::format("{:.4g}", b.values[i])});
  }
  s.shapes.push_back(
      Line{cx - half, axis.map(q.median), cx + half, axis.map(q.median), kInk, 2.5, false});
  s.shapes.push_back(Circle{cx, axis.map(q.mean), 3.5, kWhite, 1.0, kInk, 1.5,
                            fmt::format("mean {:.4g}", q.mean)});
}

}  // namespace

Scene box_plot(const std::string& text, const std::vector<BoxSeries>& series,
               std::optional<std::pair<double, double>> range) {
  using L = BoxPlotLayout;
  Scene s;
  s.width = static_cast<int>(L::kLeft + L::kSlot * std::max<size_t>(series.size(), 1) + L::kRight);
  s.height = static_cast<int>(L::kHeight);
  title(s, text);
  std::vector<double> all;
  for (const auto& b : series) all.insert(all.end(), b.values.begin(), b.values.end());
  const auto [lo, hi] = range ? *range : data_range(all, true);
  const LinearAxis axis{lo, hi, L::kHeight - L::kBottom, L::kTop};
  y_axis(s, axis, L::kLeft, s.width - L::kRight);
  for (size_t i = 0; i < series.size(); ++i) {
    const double cx = L::kLeft + (static_cast<double>(i) + 0.5) * L::kSlot;
    one_box(s, series[i], axis, cx, series_colour(i));
    const double base = L::kHeight - L::kBottom;
    s.shapes.push_back(Text{cx, base + 20, series[i].name, 12, Anchor::kMiddle, kInk, true});
    s.shapes.push_back(
        Text{cx, base + 36, fmt::format("n={}", series[i].summary.n), 11, Anchor::kMiddle, kMuted});
  }
  return s;
}

Scene line_plot(const std::string& text, const std::string& x_title, const std::string& y_title,
                const std::vector<LineSeries>& series,
                std::optional<std::pair<double, double>> y_range) {
  constexpr double kLeft = 64, kRight = 118, kTop = 40, kBottom = 48;
  Scene s;
  s.width = 560;
  s.height = 320;
  title(s, text);
  std::vector<double> xs, ys;
  for (const auto& l : series)
    for (const auto& [x, y] : l.points) xs.push_back(x), ys.push_back(y);
  const auto [xlo, xhi] = data_range(xs, false);
  const auto [ylo, yhi] = y_range ? *y_range : data_range(ys, false);
  const double x1 = s.width - kRight, y1 = s.height - kBottom;
  const LinearAxis xa{xlo, xhi, kLeft, x1}, ya{ylo, yhi, y1, kTop};
  y_axis(s, ya, kLeft, x1);
  x_axis(s, xa, kTop, y1);
  s.shapes.push_back(Text{(kLeft + x1) / 2, y1 + 38, x_title, 12, Anchor::kMiddle, kInk});
  s.shapes.push_back(Text{16, (kTop + y1) / 2, y_title, 12, Anchor::kMiddle, kInk, false, true});
  for (size_t i = 0; i < series.size(); ++i) {
    Polyline p{{}, series_colour(i), 2};
    for (const auto& [x, y] : series[i].points)
      if (std::isfinite(x) && std::isfinite(y)) p.points.emplace_back(xa.map(x), ya.map(y));
    if (p.points.size() <= 40)
      for (const auto& [x, y] : p.points)
        s.shapes.push_back(Circle{x, y, 2.5, p.colour, 1.0, p.colour, 0, ""});
    s.shapes.push_back(p);
    const double ly = kTop + 8 + 18 * static_cast<double>(i);
    s.shapes.push_back(Line{x1 + 12, ly, x1 + 32, ly, p.colour, 3, false});
    s.shapes.push_back(Text{x1 + 38, ly + 4, series[i].name, 12, Anchor::kStart, kInk});
  }
  return s;
}

Scene scatter_plot(const std::string& text, const std::string& x_title, const std::string& y_title,
                   const std::vector<ScatterPoint>& points,
                   std::optional<std::pair<double, double>> y_range) {
  constexpr double kLeft = 64, kRight = 24, kTop = 40, kBottom = 48;
  Scene s;
  s.width = 560;
  s.height = 360;
  title(s, text);
  std::vector<double> xs, ys;
  for (const auto& p : points) xs.push_back(p.x), ys.push_back(p.y);
  const auto [xlo, xhi] = data_range(xs, true);
  const auto [ylo, yhi] = y_range ? *y_range : data_range(ys, false);
  const double x1 = s.width - kRight, y1 = s.height - kBottom;
  const LinearAxis xa{xlo, xhi, kLeft, x1}, ya{ylo, yhi, y1, kTop};
  y_axis(s, ya, kLeft, x1);
  x_axis(s, xa, kTop, y1);
  s.shapes.push_back(Text{(kLeft + x1) / 2, y1 + 38, x_title, 12, Anchor::kMiddle, kInk});
  s.shapes.push_back(Text{16, (kTop + y1) / 2, y_title, 12, Anchor::kMiddle, kInk, false, true});
  for (const auto& p : points)
    if (std::isfinite(p.x) && std::isfinite(p.y))
      s.shapes.push_back(
          Circle{xa.map(p.x), ya.map(p.y), 4, series_colour(0), 0.7, kWhite, 1, p.tooltip});
  return s;
}

}  // namespace unetx::pipeline::plot
