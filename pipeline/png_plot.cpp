#include "pipeline/png_plot.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "io/png.h"
#include "pipeline/report_font.h"

namespace unetx::pipeline::plot {
namespace {

class Canvas {
 public:
  Canvas(int width, int height)
      : width_(width), height_(height), rgb_(static_cast<size_t>(width) * height * 3, 255) {}

  // Blends `c` over pixel (x, y) with weight `a` in [0, 1]; outside pixels are ignored.
  void blend(int x, int y, const Colour& c, double a) {
    if (x < 0 || y < 0 || x >= width_ || y >= height_ || a <= 0) return;
    a = std::min(a, 1.0);
    uint8_t* p = &rgb_[(static_cast<size_t>(y) * width_ + x) * 3];
    const uint8_t src[3] = {c.r, c.g, c.b};
    for (int k = 0; k < 3; ++k)
      p[k] = static_cast<uint8_t>(std::lround(p[k] + a * (src[k] - p[k])));
  }

  int width() const { return width_; }
  int height() const { return height_; }
  std::vector<uint8_t>& rgb() { return rgb_; }

 private:
  int width_, height_;
  std::vector<uint8_t> rgb_;
};

// Pixel (x, y) covers [x, x+1) x [y, y+1); its centre is at (x + 0.5, y + 0.5), as in SVG.
void fill_rect(Canvas& c, double x0, double y0, double x1, double y1, const Colour& col,
               double alpha) {
  for (int y = static_cast<int>(std::floor(y0)); y < std::ceil(y1); ++y) {
    const double cover_y = std::min<double>(y + 1, y1) - std::max<double>(y, y0);
    for (int x = static_cast<int>(std::floor(x0)); x < std::ceil(x1); ++x) {
      const double cover_x = std::min<double>(x + 1, x1) - std::max<double>(x, x0);
      c.blend(x, y, col, alpha * cover_x * cover_y);
    }
  }
}

// A segment of the given width: coverage falls off linearly over one pixel at the edge.
void draw_segment(Canvas& c, double x1, double y1, double x2, double y2, const Colour& col,
                  double width, bool dashed) {
  const double half = std::max(width, 1.0) / 2.0;
  const double dx = x2 - x1, dy = y2 - y1;
  const double len2 = dx * dx + dy * dy;
  const int xa = static_cast<int>(std::floor(std::min(x1, x2) - half - 1));
  const int xb = static_cast<int>(std::ceil(std::max(x1, x2) + half + 1));
  const int ya = static_cast<int>(std::floor(std::min(y1, y2) - half - 1));
  const int yb = static_cast<int>(std::ceil(std::max(y1, y2) + half + 1));
  for (int y = std::max(ya, 0); y <= std::min(yb, c.height() - 1); ++y) {
    for (int x = std::max(xa, 0); x <= std::min(xb, c.width() - 1); ++x) {
      const double px = x + 0.5, py = y + 0.5;
      const double t =
          len2 > 0 ? std::clamp(((px - x1) * dx + (py - y1) * dy) / len2, 0.0, 1.0) : 0;
      if (dashed && std::fmod(t * std::sqrt(len2), 8.0) >= 4.0) continue;
      const double d = std::hypot(px - (x1 + t * dx), py - (y1 + t * dy));
      // Thin lines keep their intensity in proportion to their width.
      c.blend(x, y, col, std::clamp(half + 0.5 - d, 0.0, 1.0) * std::min(width, 1.0));
    }
  }
}

void draw_disc(Canvas& c, double cx, double cy, double r, const Colour& col, double alpha) {
  for (int y = static_cast<int>(cy - r - 1); y <= cy + r + 1; ++y)
    for (int x = static_cast<int>(cx - r - 1); x <= cx + r + 1; ++x) {
      const double d = std::hypot(x + 0.5 - cx, y + 0.5 - cy);
      c.blend(x, y, col, alpha * std::clamp(r + 0.5 - d, 0.0, 1.0));
    }
}

void draw_ring(Canvas& c, double cx, double cy, double r, const Colour& col, double width) {
  for (int y = static_cast<int>(cy - r - width - 1); y <= cy + r + width + 1; ++y)
    for (int x = static_cast<int>(cx - r - width - 1); x <= cx + r + width + 1; ++x) {
      const double d = std::abs(std::hypot(x + 0.5 - cx, y + 0.5 - cy) - r);
      c.blend(x, y, col, std::clamp(width / 2 + 0.5 - d, 0.0, 1.0));
    }
}

// Font pixels become scale x scale blocks; the SVG size of 12 px maps to scale 1 (7 px capitals
// are close to the cap height of a 12 px sans-serif font), larger sizes to 2.
void draw_text(Canvas& c, const Text& t) {
  const int scale = std::max(1, static_cast<int>(std::lround(t.size / 12.0)));
  const int w = text_width(t.text) * scale;
  const int h = kGlyphHeight * scale;
  const double shift = t.anchor == Anchor::kStart ? 0 : t.anchor == Anchor::kMiddle ? w / 2.0 : w;
  // (u, v): position along and across the text; mapped to the canvas with or without rotation.
  auto put = [&](int u, int v) {
    if (!t.vertical) {
      c.blend(static_cast<int>(std::lround(t.x - shift)) + u,
              static_cast<int>(std::lround(t.y)) - h + v, t.colour, 1.0);
    } else {  // rotated counter-clockwise: the text runs upwards from (x, y)
      c.blend(static_cast<int>(std::lround(t.x)) - h + v,
              static_cast<int>(std::lround(t.y + shift)) - u, t.colour, 1.0);
    }
  };
  for (size_t i = 0; i < t.text.size(); ++i)
    for (int row = 0; row < kGlyphHeight; ++row)
      for (int col = 0; col < kGlyphWidth; ++col) {
        if (!glyph_pixel(t.text[i], row, col)) continue;
        for (int sy = 0; sy < scale; ++sy)
          for (int sx = 0; sx < scale; ++sx)
            put((static_cast<int>(i) * kGlyphAdvance + col) * scale + sx, row * scale + sy);
        if (t.bold)  // a second pass one pixel to the right thickens the strokes
          for (int sy = 0; sy < scale; ++sy)
            put((static_cast<int>(i) * kGlyphAdvance + col) * scale + scale, row * scale + sy);
      }
}

void paint(Canvas& c, const Shape& shape) {
  if (const auto* r = std::get_if<Rect>(&shape)) {
    if (r->fill_opacity > 0)
      fill_rect(c, r->x, r->y, r->x + r->w, r->y + r->h, r->fill, r->fill_opacity);
    if (r->stroke_width > 0) {
      const double x0 = r->x, y0 = r->y, x1 = r->x + r->w, y1 = r->y + r->h;
      const std::array<std::array<double, 4>, 4> sides{
          {{x0, y0, x1, y0}, {x1, y0, x1, y1}, {x1, y1, x0, y1}, {x0, y1, x0, y0}}};
      for (const auto& e : sides)
        draw_segment(c, e[0], e[1], e[2], e[3], r->stroke, r->stroke_width, false);
    }
  } else if (const auto* l = std::get_if<Line>(&shape)) {
    draw_segment(c, l->x1, l->y1, l->x2, l->y2, l->colour, l->width, l->dashed);
  } else if (const auto* p = std::get_if<Polyline>(&shape)) {
    for (size_t i = 1; i < p->points.size(); ++i)
      draw_segment(c, p->points[i - 1].first, p->points[i - 1].second, p->points[i].first,
                   p->points[i].second, p->colour, p->width, false);
    if (p->points.size() == 1)
      draw_disc(c, p->points[0].first, p->points[0].second, p->width, p->colour, 1.0);
  } else if (const auto* ci = std::get_if<Circle>(&shape)) {
    if (ci->fill_opacity > 0) draw_disc(c, ci->cx, ci->cy, ci->r, ci->fill, ci->fill_opacity);
    if (ci->stroke_width > 0) draw_ring(c, ci->cx, ci->cy, ci->r, ci->stroke, ci->stroke_width);
  } else {
    draw_text(c, std::get<Text>(shape));
  }
}

}  // namespace

std::vector<uint8_t> rasterize(const Scene& scene) {
  Canvas canvas(scene.width, scene.height);
  for (const Shape& s : scene.shapes) paint(canvas, s);
  return std::move(canvas.rgb());
}

void write_png(const Scene& scene, const std::filesystem::path& path) {
  io::write_png_rgb(path, scene.width, scene.height, rasterize(scene));
}

}  // namespace unetx::pipeline::plot
