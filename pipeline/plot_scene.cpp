#include "pipeline/plot_scene.h"

#include <spdlog/fmt/fmt.h>

#include <algorithm>
#include <array>
#include <cmath>

namespace unetx::pipeline::plot {

std::string Colour::hex() const { return fmt::format("#{:02x}{:02x}{:02x}", r, g, b); }

Colour series_colour(size_t i) {
  // Okabe & Ito's palette (blue, vermillion, bluish green, orange, reddish purple, sky blue,
  // yellow): distinguishable with the common colour-vision deficiencies.
  static constexpr std::array<Colour, 7> kPalette{{{0, 114, 178},
                                                   {213, 94, 0},
                                                   {0, 158, 115},
                                                   {230, 159, 0},
                                                   {204, 121, 167},
                                                   {86, 180, 233},
                                                   {240, 228, 66}}};
  return kPalette[i % kPalette.size()];
}

void Scene::append(const Scene& other, double dx, double dy) {
  for (Shape s : other.shapes) {
    std::visit(
        [&](auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, Rect>) {
            v.x += dx, v.y += dy;
          } else if constexpr (std::is_same_v<T, Line>) {
            v.x1 += dx, v.x2 += dx, v.y1 += dy, v.y2 += dy;
          } else if constexpr (std::is_same_v<T, Polyline>) {
            for (auto& p : v.points) p.first += dx, p.second += dy;
          } else if constexpr (std::is_same_v<T, Circle>) {
            v.cx += dx, v.cy += dy;
          } else {
            v.x += dx, v.y += dy;
          }
        },
        s);
    shapes.push_back(std::move(s));
  }
}

double LinearAxis::map(double v) const {
  if (hi == lo) return 0.5 * (px_lo + px_hi);
  return px_lo + (v - lo) / (hi - lo) * (px_hi - px_lo);
}

namespace {

// The round step (1, 2 or 5 times a power of ten) giving about `count` intervals over `span`.
double nice_step(double span, int count) {
  const double raw = span / std::max(1, count);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0})
    if (raw <= m * magnitude * 1.0000001) return m * magnitude;
  return 10.0 * magnitude;
}

}  // namespace

std::vector<double> LinearAxis::ticks(int count) const {
  std::vector<double> out;
  if (!(hi > lo) || !std::isfinite(lo) || !std::isfinite(hi)) return out;
  const double step = nice_step(hi - lo, count);
  for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step)
    out.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  return out;
}

std::pair<double, double> nice_range(double lo, double hi) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {0.0, 1.0};
  if (hi <= lo) {
    const double pad = lo == 0 ? 1.0 : std::abs(lo) * 0.1;
    lo -= pad, hi += pad;
  }
  const double step = nice_step(hi - lo, 5);
  return {std::floor(lo / step + 1e-9) * step, std::ceil(hi / step - 1e-9) * step};
}

std::string tick_label(double v) { return fmt::format("{:.4g}", v); }

}  // namespace unetx::pipeline::plot
