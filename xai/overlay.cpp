#include "xai/overlay.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

#include "io/error.h"
#include "io/png.h"

namespace unetx::xai {
namespace {

using Rgb = std::array<uint8_t, 3>;

// Hand-written because Debian packages no C++ colormap library. The stops are the published
// viridis colours (matplotlib's map, as listed by R's viridisLite) at v = 0, 1/9, ..., 1;
// linear interpolation between them in sRGB stays within a few levels of the full 256 table.
constexpr std::array<Rgb, 10> kViridisStops{{{68, 1, 84},
                                             {72, 40, 120},
                                             {62, 74, 137},
                                             {49, 104, 142},
                                             {38, 130, 142},
                                             {31, 158, 137},
                                             {53, 183, 121},
                                             {109, 205, 89},
                                             {180, 222, 44},
                                             {253, 231, 37}}};

// Red, magenta, orange, white, cyan, blue, green: mutually distinct, and the first ones far
// from viridis' purple-teal-yellow path, so contours stay visible over the heat map.
constexpr std::array<Rgb, 7> kLabelColours{{{255, 0, 0},
                                            {255, 0, 255},
                                            {255, 128, 0},
                                            {255, 255, 255},
                                            {0, 255, 255},
                                            {0, 128, 255},
                                            {0, 255, 0}}};

uint8_t to_byte(double v) { return static_cast<uint8_t>(std::lround(std::clamp(v, 0.0, 255.0))); }

void check_slice(const at::Tensor& t, const char* what, int64_t rows, int64_t cols) {
  if (t.dim() != 2 || (rows >= 0 && (t.size(0) != rows || t.size(1) != cols))) {
    std::ostringstream msg;
    msg << "expected a (Y, X) slice" << (rows >= 0 ? " matching the image" : "") << ", got "
        << t.sizes();
    throw Error(what, msg.str());
  }
}

// Value at quantile q of sorted finite values, interpolating linearly between order statistics.
double quantile(const std::vector<float>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

// Grayscale bytes of the image windowed to its 1st-99th percentiles.
std::vector<uint8_t> window_gray(const at::Tensor& image) {
  const at::Tensor flat = image.detach().to(at::kFloat).contiguous().reshape({-1});
  const float* v = flat.data_ptr<float>();
  const auto n = static_cast<size_t>(flat.numel());
  std::vector<float> finite;
  finite.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (std::isfinite(v[i])) finite.push_back(v[i]);
  }
  std::vector<uint8_t> gray(n, 0);
  if (finite.empty()) return gray;
  std::sort(finite.begin(), finite.end());
  double lo = quantile(finite, 0.01);
  double hi = quantile(finite, 0.99);
  if (hi <= lo) {  // e.g. a small bright object on a flat background
    lo = finite.front();
    hi = finite.back();
  }
  if (hi <= lo) return gray;
  for (size_t i = 0; i < n; ++i) {
    if (std::isfinite(v[i])) gray[i] = to_byte(255.0 * (v[i] - lo) / (hi - lo));
  }
  return gray;
}

void blend_heat(std::vector<uint8_t>& rgb, const at::Tensor& heat, double alpha) {
  const at::Tensor h = heat.detach().to(at::kFloat).contiguous().reshape({-1});
  const float* v = h.data_ptr<float>();
  for (int64_t i = 0; i < h.numel(); ++i) {
    const double value = std::isfinite(v[i]) ? std::clamp(static_cast<double>(v[i]), 0.0, 1.0) : 0.0;
    const Rgb c = viridis(value);
    // Opacity grows with the heat, so cold regions keep the anatomy readable.
    const double a = alpha * value;
    for (int ch = 0; ch < 3; ++ch) {
      uint8_t& px = rgb[static_cast<size_t>(3 * i + ch)];
      px = to_byte((1.0 - a) * px + a * c[static_cast<size_t>(ch)]);
    }
  }
}

void draw_contour(std::vector<uint8_t>& rgb, const at::Tensor& mask) {
  const at::Tensor m = mask.detach().to(at::kLong).contiguous();
  const auto a = m.accessor<int64_t, 2>();
  const int64_t rows = m.size(0);
  const int64_t cols = m.size(1);
  auto label_at = [&](int64_t y, int64_t x) -> int64_t {
    return (y < 0 || x < 0 || y >= rows || x >= cols) ? 0 : a[y][x];
  };
  for (int64_t y = 0; y < rows; ++y) {
    for (int64_t x = 0; x < cols; ++x) {
      const int64_t l = a[y][x];
      if (l == 0) continue;
      if (label_at(y - 1, x) == l && label_at(y + 1, x) == l && label_at(y, x - 1) == l &&
          label_at(y, x + 1) == l) {
        continue;
      }
      const Rgb c = label_colour(l);
      std::copy(c.begin(), c.end(), rgb.begin() + 3 * (y * cols + x));
    }
  }
}

}  // namespace

Rgb viridis(double v) {
  const double t = std::isfinite(v) ? std::clamp(v, 0.0, 1.0) : 0.0;
  const double pos = t * static_cast<double>(kViridisStops.size() - 1);
  const auto i = std::min(static_cast<size_t>(pos), kViridisStops.size() - 2);
  const double f = pos - static_cast<double>(i);
  Rgb out{};
  for (size_t ch = 0; ch < 3; ++ch) {
    out[ch] = to_byte((1.0 - f) * kViridisStops[i][ch] + f * kViridisStops[i + 1][ch]);
  }
  return out;
}

Rgb label_colour(int64_t label) {
  const auto n = static_cast<int64_t>(kLabelColours.size());
  return kLabelColours[static_cast<size_t>(((label - 1) % n + n) % n)];
}

int64_t representative_slice(const at::Tensor& mask) {
  if (mask.dim() != 3) {
    std::ostringstream msg;
    msg << "expected a (Z, Y, X) mask, got " << mask.sizes();
    throw Error("representative_slice", msg.str());
  }
  const at::Tensor area = mask.detach().ne(0).sum({1, 2}).to(at::kLong).contiguous();
  const auto a = area.accessor<int64_t, 1>();
  int64_t best = 0;
  for (int64_t z = 1; z < area.size(0); ++z) {
    if (a[z] > a[best]) best = z;
  }
  return area.size(0) > 0 && a[best] > 0 ? best : mask.size(0) / 2;
}

std::vector<uint8_t> render_overlay(const at::Tensor& image_slice, const at::Tensor& heat_slice,
                                    const at::Tensor& mask_slice, double alpha) {
  check_slice(image_slice, "image slice", -1, -1);
  const int64_t rows = image_slice.size(0);
  const int64_t cols = image_slice.size(1);
  if (heat_slice.defined()) check_slice(heat_slice, "heat slice", rows, cols);
  if (mask_slice.defined()) check_slice(mask_slice, "mask slice", rows, cols);
  if (!(alpha >= 0.0 && alpha <= 1.0)) {
    throw Error("overlay alpha", "must be in [0, 1], got " + std::to_string(alpha));
  }

  const std::vector<uint8_t> gray = window_gray(image_slice);
  std::vector<uint8_t> rgb(gray.size() * 3);
  for (size_t i = 0; i < gray.size(); ++i) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = gray[i];
  if (heat_slice.defined()) blend_heat(rgb, heat_slice, alpha);
  if (mask_slice.defined()) draw_contour(rgb, mask_slice);
  return rgb;
}

void write_overlay_png(const std::filesystem::path& path, const at::Tensor& image_slice,
                       const at::Tensor& heat_slice, const at::Tensor& mask_slice, double alpha) {
  const std::vector<uint8_t> rgb = render_overlay(image_slice, heat_slice, mask_slice, alpha);
  io::write_png_rgb(path, static_cast<int>(image_slice.size(1)),
                    static_cast<int>(image_slice.size(0)), rgb);
}

}  // namespace unetx::xai
