#include "pipeline/svg_plot.h"

#include <spdlog/fmt/fmt.h>

#include "pipeline/report_html.h"

namespace unetx::pipeline::plot {
namespace {

// Two decimals keep sub-pixel placement while keeping the file small.
std::string num(double v) { return fmt::format("{:.2f}", v); }

std::string tooltip(const std::string& text) {
  return text.empty() ? "" : "<title>" + html_escape(text) + "</title>";
}

std::string paint(const char* what, const Colour& c, double opacity) {
  if (opacity <= 0) return fmt::format(" {}=\"none\"", what);
  std::string s = fmt::format(" {}=\"{}\"", what, c.hex());
  if (opacity < 1) s += fmt::format(" {}-opacity=\"{}\"", what, num(opacity));
  return s;
}

std::string stroke(const Colour& c, double width) {
  return width > 0 ? fmt::format(" stroke=\"{}\" stroke-width=\"{}\"", c.hex(), num(width)) : "";
}

std::string svg(const Rect& r) {
  std::string cls = r.css_class.empty() ? "" : " class=\"" + html_escape(r.css_class) + "\"";
  return fmt::format("<rect{} x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"{}{}>{}</rect>", cls,
                     num(r.x), num(r.y), num(r.w), num(r.h), paint("fill", r.fill, r.fill_opacity),
                     stroke(r.stroke, r.stroke_width), tooltip(r.tooltip));
}

std::string svg(const Line& l) {
  return fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"{}{}/>", num(l.x1), num(l.y1),
                     num(l.x2), num(l.y2), stroke(l.colour, l.width),
                     l.dashed ? " stroke-dasharray=\"4 4\"" : "");
}

std::string svg(const Polyline& p) {
  std::string points;
  for (const auto& [x, y] : p.points) points += num(x) + "," + num(y) + " ";
  return fmt::format("<polyline fill=\"none\" stroke-linejoin=\"round\" points=\"{}\"{}/>", points,
                     stroke(p.colour, p.width));
}

std::string svg(const Circle& c) {
  return fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"{}\"{}{}>{}</circle>", num(c.cx), num(c.cy),
                     num(c.r), paint("fill", c.fill, c.fill_opacity),
                     stroke(c.stroke, c.stroke_width), tooltip(c.tooltip));
}

std::string svg(const Text& t) {
  static const char* kAnchor[] = {"start", "middle", "end"};
  std::string rotate =
      t.vertical ? fmt::format(" transform=\"rotate(-90 {} {})\"", num(t.x), num(t.y)) : "";
  return fmt::format(
      "<text x=\"{}\" y=\"{}\" font-size=\"{}\" text-anchor=\"{}\" fill=\"{}\"{}{}>{}</text>",
      num(t.x), num(t.y), num(t.size), kAnchor[static_cast<int>(t.anchor)], t.colour.hex(),
      t.bold ? " font-weight=\"600\"" : "", rotate, html_escape(t.text));
}

}  // namespace

std::string to_svg(const Scene& scene, const std::string& css_class) {
  std::string out = fmt::format(
      // No xmlns: inline SVG in HTML5 needs none, and the report names no URL at all.
      "<svg class=\"{}\" width=\"{}\" height=\"{}\" "
      "viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\" "
      "font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\">\n",
      html_escape(css_class), scene.width, scene.height, scene.width, scene.height,
      html_escape(scene.title));
  for (const Shape& s : scene.shapes)
    out += std::visit([](const auto& v) { return svg(v); }, s) + "\n";
  return out + "</svg>\n";
}

}  // namespace unetx::pipeline::plot
