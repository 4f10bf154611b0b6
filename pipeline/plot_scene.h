// A chart as an ordered list of drawing primitives in pixel coordinates (origin at the top left,
// y growing downwards). One layout feeds both the inline SVG of report.html (svg_plot.h) and the
// PNG rasterizer (png_plot.h), so the two renderings of a plot cannot drift apart.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace unetx::pipeline::plot {

struct Colour {
  uint8_t r = 0, g = 0, b = 0;
  std::string hex() const;  // "#rrggbb"
};

// Colour of the i-th series (labels, folds): a fixed cycle of distinct, colour-blind-friendly
// hues (Okabe-Ito order), so label 1 has the same colour in every plot.
Colour series_colour(size_t i);

struct Rect {
  double x = 0, y = 0, w = 0, h = 0;
  Colour fill;
  double fill_opacity = 1.0;  // 0: no fill
  Colour stroke;
  double stroke_width = 0;  // 0: no outline
  std::string css_class;    // SVG class (tests and styling find boxes by it)
  std::string tooltip;      // SVG <title>; ignored by the rasterizer
};

struct Line {
  double x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  Colour colour;
  double width = 1;
  bool dashed = false;
};

struct Polyline {
  std::vector<std::pair<double, double>> points;
  Colour colour;
  double width = 2;
};

struct Circle {
  double cx = 0, cy = 0, r = 3;
  Colour fill;
  double fill_opacity = 1.0;
  Colour stroke;
  double stroke_width = 0;
  std::string tooltip;
};

enum class Anchor { kStart, kMiddle, kEnd };

struct Text {
  double x = 0, y = 0;  // baseline point; for vertical text the rotation centre
  std::string text;     // plain text (the SVG writer escapes it)
  double size = 12;     // px
  Anchor anchor = Anchor::kStart;
  Colour colour{51, 51, 51};
  bool bold = false;
  bool vertical = false;  // rotated 90 degrees counter-clockwise (y-axis titles)
};

using Shape = std::variant<Rect, Line, Polyline, Circle, Text>;

struct Scene {
  int width = 0, height = 0;  // px
  std::string title;          // accessible name of the chart
  std::vector<Shape> shapes;  // painted in order: later shapes cover earlier ones

  // Copies `other`'s shapes shifted by (dx, dy); used to put panels side by side.
  void append(const Scene& other, double dx, double dy);
};

// Maps data values in [lo, hi] linearly to pixels [px_lo, px_hi] (px_lo may exceed px_hi, as on
// a y axis where larger values sit higher).
struct LinearAxis {
  double lo = 0, hi = 1;
  double px_lo = 0, px_hi = 1;
  double map(double v) const;
  // About `count` round tick values inside [lo, hi] (steps of 1, 2 or 5 times a power of ten).
  std::vector<double> ticks(int count = 5) const;
};

// [lo, hi] widened to round numbers that contain both values; a zero-width range is opened up.
std::pair<double, double> nice_range(double lo, double hi);

// Tick label without trailing zeros ("0.25", "1", "1e+03").
std::string tick_label(double v);

}  // namespace unetx::pipeline::plot
