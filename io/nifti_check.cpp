#include "io/nifti_check.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>

#include "io/error.h"

namespace unetx::io {
namespace {

namespace fs = std::filesystem;

template <typename T>
T load(const unsigned char* p, bool swap) {
  unsigned char b[sizeof(T)];
  std::memcpy(b, p, sizeof(T));
  if (swap) std::reverse(b, b + sizeof(T));
  T v;
  std::memcpy(&v, b, sizeof(T));
  return v;
}

// Bytes the header promises (vox_offset + voxel data), from the NIfTI-1 (348-byte) or NIfTI-2
// (540-byte) header in either byte order; nullopt when the header is not recognised.
std::optional<uint64_t> expected_bytes(const unsigned char* h, size_t n) {
  if (n < 4) return std::nullopt;
  for (bool swap : {false, true}) {
    const int32_t size = load<int32_t>(h, swap);
    uint64_t voxels = 1, offset = 0, bitpix = 0;
    if (size == 348 && n >= 348) {
      const int16_t ndim = load<int16_t>(h + 40, swap);
      if (ndim < 1 || ndim > 7) return std::nullopt;
      for (int i = 1; i <= ndim; ++i)
        voxels *= std::max<int16_t>(1, load<int16_t>(h + 40 + 2 * i, swap));
      bitpix = static_cast<uint64_t>(std::max<int16_t>(0, load<int16_t>(h + 72, swap)));
      offset = static_cast<uint64_t>(std::max(0.0f, load<float>(h + 108, swap)));
    } else if (size == 540 && n >= 540) {
      const int64_t ndim = load<int64_t>(h + 16, swap);
      if (ndim < 1 || ndim > 7) return std::nullopt;
      for (int i = 1; i <= ndim; ++i)
        voxels *= std::max<int64_t>(1, load<int64_t>(h + 16 + 8 * i, swap));
      bitpix = static_cast<uint64_t>(std::max<int16_t>(0, load<int16_t>(h + 14, swap)));
      offset = static_cast<uint64_t>(std::max<int64_t>(0, load<int64_t>(h + 168, swap)));
    } else {
      continue;
    }
    if (bitpix == 0) return std::nullopt;
    // A header-only .nii (vox_offset 0) is not a single-file image; leave it to ITK.
    if (offset == 0) return std::nullopt;
    return offset + voxels * bitpix / 8;
  }
  return std::nullopt;
}

// Decompressed length of a gzip file; nullopt if the stream is corrupt or cut short.
std::optional<uint64_t> gzip_length(const fs::path& path) {
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) return std::nullopt;
  gzbuffer(f, 1 << 17);
  std::string buf(1 << 17, '\0');
  uint64_t total = 0;
  int got = 0;
  while ((got = gzread(f, buf.data(), static_cast<unsigned>(buf.size()))) > 0) total += got;
  int err = Z_OK;
  gzerror(f, &err);
  gzclose(f);
  if (got < 0 || (err != Z_OK && err != Z_STREAM_END)) return std::nullopt;
  return total;
}

[[noreturn]] void truncated(const fs::path& path, const std::string& detail) {
  throw Error(path.string(), "cannot read image: truncated or corrupt NIfTI file (" + detail + ")");
}

}  // namespace

void check_nifti_complete(const fs::path& path) {
  std::string name = path.filename().string();
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  const auto ends = [&](const std::string& s) {
    return name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  const bool gz = ends(".nii.gz");
  if (!gz && !ends(".nii")) return;

  unsigned char header[540] = {};
  size_t n = 0;
  if (gzFile f = gzopen(path.c_str(), "rb")) {  // gzread also reads uncompressed files
    const int got = gzread(f, header, sizeof header);
    n = got > 0 ? static_cast<size_t>(got) : 0;
    gzclose(f);
  }
  const std::optional<uint64_t> expected = expected_bytes(header, n);
  if (!expected) return;

  std::error_code ec;
  const uint64_t on_disk = fs::file_size(path, ec);
  if (ec) return;
  if (!gz) {
    if (on_disk < *expected) {
      truncated(path, std::to_string(on_disk) + " of " + std::to_string(*expected) + " bytes");
    }
    return;
  }
  // The gzip trailer's ISIZE is the uncompressed length mod 2^32: a match is the normal case.
  if (on_disk >= 18) {
    std::ifstream in(path, std::ios::binary);
    in.seekg(static_cast<std::streamoff>(on_disk - 4));
    unsigned char tail[4] = {};
    if (in.read(reinterpret_cast<char*>(tail), 4)) {
      const uint32_t isize =
          static_cast<uint32_t>(tail[0]) | (static_cast<uint32_t>(tail[1]) << 8) |
          (static_cast<uint32_t>(tail[2]) << 16) | (static_cast<uint32_t>(tail[3]) << 24);
      if (isize == static_cast<uint32_t>(*expected)) return;
    }
  }
  // Mismatch: multi-member gzip, trailing padding, or truncation. Decompress to decide.
  const std::optional<uint64_t> length = gzip_length(path);
  if (!length) truncated(path, "gzip stream ends early or is corrupt");
  if (*length < *expected) {
    truncated(path, std::to_string(*length) + " of " + std::to_string(*expected) + " bytes");
  }
}

}  // namespace unetx::io
