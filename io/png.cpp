#include "io/png.h"

#include <png.h>

#include <cstring>
#include <string>

#include "io/atomic_file.h"
#include "io/error.h"

namespace unetx::io {
namespace {

// The simplified API (png_image) reports errors through image.message instead of longjmp,
// which would skip C++ destructors.
void write_png(const fs::path& path, int width, int height, const std::vector<uint8_t>& pixels,
               int channels, png_uint_32 format) {
  if (width <= 0 || height <= 0) {
    throw Error(path.string(), "cannot write PNG: size " + std::to_string(width) + "x" +
                                   std::to_string(height) + " is empty");
  }
  const size_t expected = static_cast<size_t>(width) * static_cast<size_t>(height) * channels;
  if (pixels.size() != expected) {
    throw Error(path.string(), "cannot write PNG: " + std::to_string(pixels.size()) +
                                   " bytes given, " + std::to_string(expected) + " expected");
  }
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width);
  image.height = static_cast<png_uint_32>(height);
  image.format = format;
  AtomicFile out(path);
  if (!png_image_write_to_file(&image, out.temp_path().c_str(), 0, pixels.data(), width * channels,
                               nullptr)) {
    const std::string reason = image.message;
    png_image_free(&image);
    throw Error(path.string(), "cannot write PNG: " + reason);
  }
  out.commit();
}

}  // namespace

void write_png_rgb(const fs::path& path, int width, int height, const std::vector<uint8_t>& rgb) {
  write_png(path, width, height, rgb, 3, PNG_FORMAT_RGB);
}

void write_png_gray(const fs::path& path, int width, int height, const std::vector<uint8_t>& gray) {
  write_png(path, width, height, gray, 1, PNG_FORMAT_GRAY);
}

std::vector<uint8_t> read_png_rgb(const fs::path& path, int& width, int& height) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw Error(path.string(), "no such file");
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&image, path.c_str())) {
    const std::string reason = image.message;
    png_image_free(&image);
    throw Error(path.string(), "cannot read PNG: " + reason);
  }
  image.format = PNG_FORMAT_RGB;
  std::vector<uint8_t> rgb(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, rgb.data(), 0, nullptr)) {
    const std::string reason = image.message;
    png_image_free(&image);
    throw Error(path.string(), "cannot read PNG: " + reason);
  }
  width = static_cast<int>(image.width);
  height = static_cast<int>(image.height);
  return rgb;
}

}  // namespace unetx::io
