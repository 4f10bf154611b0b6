// The report's chart layouts as plot::Scenes: box plots per metric, line plots of training
// curves, and a scatter plot. Pure layout (no I/O), so tests can check positions exactly.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/plot_scene.h"
#include "pipeline/statistics.h"

namespace unetx::pipeline::plot {

// Box plot geometry, public so tests can compute where a quartile must land: the value axis runs
// from y = kTop (axis maximum) down to y = kHeight - kBottom (axis minimum); series i is centred
// at x = kLeft + (i + 0.5) * kSlot.
struct BoxPlotLayout {
  static constexpr double kHeight = 320, kTop = 44, kBottom = 56;
  static constexpr double kLeft = 64, kSlot = 104, kRight = 24, kBoxWidth = 44;
};

struct BoxSeries {
  std::string name;            // e.g. "label 1" or "liver"
  Summary summary;             // the box: q1, median, q3; mean marked; n printed
  std::vector<double> values;  // finite values: whiskers, outliers and the dots
};

// One box per series: box from Q1 to Q3 (SVG class "box"), median line, mean marker, Tukey
// whiskers (furthest values within 1.5 IQR of the box), every value as a jittered dot (outliers
// included). `range`: fixed value axis (e.g. [0, 1] for Dice); otherwise round numbers around
// the data (including 0 when no value is negative).
Scene box_plot(const std::string& title, const std::vector<BoxSeries>& series,
               std::optional<std::pair<double, double>> range = std::nullopt);

struct LineSeries {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y), drawn in this order
};

// Lines with a legend on the right; markers on every point when there are few.
Scene line_plot(const std::string& title, const std::string& x_title, const std::string& y_title,
                const std::vector<LineSeries>& series,
                std::optional<std::pair<double, double>> y_range = std::nullopt);

struct ScatterPoint {
  double x = 0, y = 0;
  std::string tooltip;  // e.g. the case id
};

Scene scatter_plot(const std::string& title, const std::string& x_title, const std::string& y_title,
                   const std::vector<ScatterPoint>& points,
                   std::optional<std::pair<double, double>> y_range = std::nullopt);

}  // namespace unetx::pipeline::plot
