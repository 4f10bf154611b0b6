// 8-bit PNG files (overlays, attribution slices in reports), through libpng's simplified API.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

namespace unetx::io {

namespace fs = std::filesystem;

// Writes an RGB image atomically. `rgb` is row-major, top row first, 3 bytes per pixel:
// size == width * height * 3, width and height > 0. Throws unetx::Error naming the file.
void write_png_rgb(const fs::path& path, int width, int height, const std::vector<uint8_t>& rgb);

// Writes a grayscale image atomically; `gray` holds width * height bytes, row-major.
void write_png_gray(const fs::path& path, int width, int height, const std::vector<uint8_t>& gray);

// Reads any PNG converted to 8-bit RGB (row-major, 3 bytes per pixel) and sets width/height.
// Throws unetx::Error naming the file.
std::vector<uint8_t> read_png_rgb(const fs::path& path, int& width, int& height);

}  // namespace unetx::io
