// Rendering of the best/worst-case gallery of report.html: one slice shown three ways (contours
// of reference and prediction, an error map, the attribution heat map). xai/overlay.h renders
// similar pictures, but pipeline/ may not use xai/ (DESIGN.md), and the report's panels differ:
// two contour sets in fixed colours and a TP/FP/FN error map.
#pragma once

#include <ATen/ATen.h>

#include <array>
#include <cstdint>
#include <vector>

namespace unetx::pipeline {

struct RgbImage {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;  // row-major, 3 bytes per pixel, row 0 at the top
};

// Contour colours (also used by the legend of the page).
constexpr std::array<uint8_t, 3> kReferenceColour{0, 200, 110};
constexpr std::array<uint8_t, 3> kPredictionColour{255, 60, 170};
constexpr std::array<uint8_t, 3> kMissedColour{40, 120, 255};   // false negative
constexpr std::array<uint8_t, 3> kSpuriousColour{255, 70, 40};  // false positive

// Nearest-neighbour scale factor that makes a slice at least `min_size` px on its longer side
// (1 when it already is; at most 8).
int thumbnail_scale(int64_t height, int64_t width, int min_size = 256);

// Grayscale slice (windowed to its 1st-99th percentiles) with 1-pixel contours of the reference
// and the prediction (any label > 0), drawn after scaling so the lines stay thin.
RgbImage render_contours(const at::Tensor& image, const at::Tensor& reference,
                         const at::Tensor& prediction, int scale);

// Grayscale slice tinted where the masks disagree: missed reference (blue), spurious prediction
// (red); agreement is left untinted.
RgbImage render_errors(const at::Tensor& image, const at::Tensor& reference,
                       const at::Tensor& prediction, int scale);

// Grayscale slice with `heat` (>= 0, divided by its maximum) blended in a black-red-yellow-white
// ramp whose opacity grows with the heat, plus the prediction contour.
RgbImage render_heat(const at::Tensor& image, const at::Tensor& heat, const at::Tensor& prediction,
                     int scale);

// The z of a (Z, Y, X) label map with the largest foreground area (first on ties; Z / 2 when
// the map is empty).
int64_t largest_area_slice(const at::Tensor& labels);

}  // namespace unetx::pipeline
