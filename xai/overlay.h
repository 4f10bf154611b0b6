// Rendering one representative slice of a case for humans: grayscale anatomy, an attribution or
// uncertainty heat map, and the segmentation contour.
//
// Display convention (radiological): slices are (Y, X) planes of a Volume on the canonical LPS
// grid (identity direction, as after preprocessing), drawn in index order: row 0 (y = 0, most
// anterior) at the top, column 0 (x = 0, patient's right) on the left, so the patient's right
// appears on the viewer's left, as on a radiology workstation. No flip is applied; a slice of a
// non-canonical volume is drawn in its own index order.
#pragma once

#include <ATen/ATen.h>

#include <array>
#include <cstdint>
#include <filesystem>
#include <vector>

namespace unetx::xai {

// The z with the largest mask area (non-zero voxels of any label; the first such z on ties);
// the middle slice Z / 2 when the mask is empty. mask: (Z, Y, X).
int64_t representative_slice(const at::Tensor& mask);

// RGB bytes, row-major: Y rows of X pixels, 3 bytes each, row 0 at the top (see above).
//  - image_slice (Y, X): windowed linearly to its 1st-99th percentiles (min-max when those
//    coincide) as grayscale;
//  - heat_slice (Y, X) in [0, 1] (clamped; undefined = none): viridis colour blended over the
//    slice with weight `alpha * heat` (alpha in [0, 1]), so zero heat leaves the image as is;
//  - mask_slice (Y, X) labels (undefined = none): a 1-pixel opaque contour, one colour per label
//    (the label's pixels with a 4-neighbour of another label or outside the image).
std::vector<uint8_t> render_overlay(const at::Tensor& image_slice,
                                    const at::Tensor& heat_slice = at::Tensor(),
                                    const at::Tensor& mask_slice = at::Tensor(),
                                    double alpha = 0.45);

// render_overlay written as an 8-bit RGB PNG (atomically, through io::write_png_rgb).
void write_overlay_png(const std::filesystem::path& path, const at::Tensor& image_slice,
                       const at::Tensor& heat_slice = at::Tensor(),
                       const at::Tensor& mask_slice = at::Tensor(), double alpha = 0.45);

// Viridis colour of v in [0, 1] (clamped), as R, G, B bytes. Exposed for tests and legends.
std::array<uint8_t, 3> viridis(double v);

// Contour colour of a non-zero label (a fixed cycle of distinct colours).
std::array<uint8_t, 3> label_colour(int64_t label);

}  // namespace unetx::xai
