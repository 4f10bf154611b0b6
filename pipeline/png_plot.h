// A plot::Scene rasterized to RGB pixels and written as PNG (the report's plots as files, for
// slides and papers). Shapes are anti-aliased by pixel coverage; text uses the hand-drawn bitmap
// font of report_font.h, scaled by whole pixels, so it is blocky but legible.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "pipeline/plot_scene.h"

namespace unetx::pipeline::plot {

// RGB bytes, row-major, scene.width * scene.height * 3, on a white background.
std::vector<uint8_t> rasterize(const Scene& scene);

// rasterize() written atomically through io::write_png_rgb.
void write_png(const Scene& scene, const std::filesystem::path& path);

}  // namespace unetx::pipeline::plot
