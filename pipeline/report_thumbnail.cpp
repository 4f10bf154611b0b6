#include "pipeline/report_thumbnail.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "io/error.h"

namespace unetx::pipeline {
namespace {

uint8_t to_byte(double v) { return static_cast<uint8_t>(std::lround(std::clamp(v, 0.0, 255.0))); }

void check_slice(const at::Tensor& t, const char* what, const at::Tensor& image) {
  if (t.dim() != 2 || t.size(0) != image.size(0) || t.size(1) != image.size(1)) {
    std::ostringstream msg;
    msg << "expected a (H, W) slice of the image's size " << image.sizes() << ", got " << t.sizes();
    throw Error(what, msg.str());
  }
}

at::Tensor upscale(const at::Tensor& t, int scale) {
  return scale == 1 ? t : t.repeat_interleave(scale, 0).repeat_interleave(scale, 1);
}

// Grayscale RGB of the image windowed to its 1st-99th percentiles (min-max when they coincide).
RgbImage gray(const at::Tensor& image, int scale) {
  if (image.dim() != 2) throw Error("thumbnail image", "expected a (H, W) slice");
  const at::Tensor f = image.detach().to(at::kFloat).contiguous();
  const at::Tensor finite = f.flatten().masked_select(at::isfinite(f.flatten()));
  double lo = 0, hi = 0;
  if (finite.numel() > 0) {
    const at::Tensor s = std::get<0>(finite.sort());
    auto at_q = [&](double q) {
      return s[static_cast<int64_t>(std::lround(q * (s.numel() - 1)))].item<double>();
    };
    lo = at_q(0.01), hi = at_q(0.99);
    if (hi <= lo) lo = s[0].item<double>(), hi = s[-1].item<double>();
  }
  const at::Tensor big = upscale(f, scale).contiguous();
  RgbImage out{static_cast<int>(big.size(1)), static_cast<int>(big.size(0)), {}};
  out.rgb.resize(static_cast<size_t>(big.numel()) * 3);
  const float* v = big.data_ptr<float>();
  for (int64_t i = 0; i < big.numel(); ++i) {
    const double g = (hi > lo && std::isfinite(v[i])) ? 255.0 * (v[i] - lo) / (hi - lo) : 0.0;
    std::fill_n(out.rgb.begin() + 3 * i, 3, to_byte(g));
  }
  return out;
}

void blend(RgbImage& img, int64_t i, const std::array<uint8_t, 3>& c, double a) {
  for (int k = 0; k < 3; ++k) {
    uint8_t& p = img.rgb[static_cast<size_t>(3 * i + k)];
    p = to_byte((1 - a) * p + a * c[static_cast<size_t>(k)]);
  }
}

// Foreground pixels with a 4-neighbour in the background (or outside) get `colour`.
void contour(RgbImage& img, const at::Tensor& mask, const std::array<uint8_t, 3>& colour) {
  const at::Tensor m = (mask > 0).contiguous();
  const auto a = m.accessor<bool, 2>();
  const int64_t h = m.size(0), w = m.size(1);
  auto in = [&](int64_t y, int64_t x) { return y >= 0 && x >= 0 && y < h && x < w && a[y][x]; };
  for (int64_t y = 0; y < h; ++y)
    for (int64_t x = 0; x < w; ++x)
      if (a[y][x] && !(in(y - 1, x) && in(y + 1, x) && in(y, x - 1) && in(y, x + 1)))
        blend(img, y * w + x, colour, 1.0);
}

}  // namespace

int thumbnail_scale(int64_t height, int64_t width, int min_size) {
  const int64_t longer = std::max<int64_t>(1, std::max(height, width));
  return static_cast<int>(std::clamp<int64_t>((min_size + longer - 1) / longer, 1, 8));
}

RgbImage render_contours(const at::Tensor& image, const at::Tensor& reference,
                         const at::Tensor& prediction, int scale) {
  check_slice(reference, "thumbnail reference", image);
  check_slice(prediction, "thumbnail prediction", image);
  RgbImage out = gray(image, scale);
  contour(out, upscale(reference, scale), kReferenceColour);
  contour(out, upscale(prediction, scale), kPredictionColour);
  return out;
}

RgbImage render_errors(const at::Tensor& image, const at::Tensor& reference,
                       const at::Tensor& prediction, int scale) {
  check_slice(reference, "thumbnail reference", image);
  check_slice(prediction, "thumbnail prediction", image);
  RgbImage out = gray(image, scale);
  const at::Tensor ref = upscale(reference > 0, scale).contiguous().flatten();
  const at::Tensor pred = upscale(prediction > 0, scale).contiguous().flatten();
  const bool* r = ref.data_ptr<bool>();
  const bool* p = pred.data_ptr<bool>();
  for (int64_t i = 0; i < ref.numel(); ++i) {
    if (r[i] && !p[i]) blend(out, i, kMissedColour, 0.65);
    if (p[i] && !r[i]) blend(out, i, kSpuriousColour, 0.65);
  }
  return out;
}

RgbImage render_heat(const at::Tensor& image, const at::Tensor& heat, const at::Tensor& prediction,
                     int scale) {
  check_slice(heat, "thumbnail attribution", image);
  RgbImage out = gray(image, scale);
  at::Tensor h = heat.detach().to(at::kFloat).clamp_min(0).nan_to_num(0, 0, 0);
  const double top = h.max().item<double>();
  if (top > 0) h = h / top;
  const at::Tensor big = upscale(h, scale).contiguous().flatten();
  const float* v = big.data_ptr<float>();
  for (int64_t i = 0; i < big.numel(); ++i) {
    const double t = v[i];
    // Black-body ramp by formula: red rises first, then green, then blue.
    const std::array<uint8_t, 3> c{to_byte(255 * 3 * t), to_byte(255 * (3 * t - 1)),
                                   to_byte(255 * (3 * t - 2))};
    blend(out, i, c, 0.75 * t);
  }
  if (prediction.defined()) {
    check_slice(prediction, "thumbnail prediction", image);
    contour(out, upscale(prediction, scale), kPredictionColour);
  }
  return out;
}

int64_t largest_area_slice(const at::Tensor& labels) {
  if (labels.dim() != 3) throw Error("thumbnail reference", "expected a (Z, Y, X) label map");
  const at::Tensor area = (labels > 0).sum({1, 2});
  if (area.numel() == 0) return 0;
  if (area.max().item<int64_t>() == 0) return labels.size(0) / 2;
  return area.argmax().item<int64_t>();  // first maximum
}

}  // namespace unetx::pipeline
