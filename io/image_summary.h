// What `unetx info` prints about an image: grid, pixel type and intensity range.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "io/volume.h"

namespace unetx::io {

struct ImageSummary {
  Size3 size{0, 0, 0};  // voxels, (x, y, z)
  int64_t channels = 0;
  Geometry geometry;
  std::string pixel_type;             // meta["pixel_type"] if present, else the tensor's dtype name
  double min = 0, max = 0, mean = 0;  // over all voxels of all channels
};

// Throws unetx::Error when the volume has no data (nothing to summarise).
ImageSummary summarize(const Volume& volume);

// {"size": [x,y,z], "channels": C, "spacing": [..], "origin": [..], "direction": [[row0],
// [row1], [row2]], "pixel_type": "...", "min": .., "max": .., "mean": ..}
nlohmann::json to_json(const ImageSummary& summary);

// Human-readable, one field per line, direction as 3 rows; ends with '\n'.
std::string to_text(const ImageSummary& summary);

}  // namespace unetx::io
