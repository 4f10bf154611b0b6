#include "io/nifti_check.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>

#include "io/error.h"
#include "io/nifti_header.h"

namespace unetx::io {
namespace {

namespace fs = std::filesystem;

// Bytes the header promises (data offset + voxel data); nullopt when the header is not
// recognised or is header-only.
std::optional<uint64_t> expected_bytes(const unsigned char* h, size_t n) {
  const std::optional<NiftiHeader> header = parse_nifti_header(h, n);
  if (!header || header->bitpix <= 0 || !header->single_file) return std::nullopt;
  if (header->voxel_count() > (uint64_t{1} << 48)) return std::nullopt;  // ITK refuses these
  return header->data_offset() + header->voxel_count() * static_cast<uint64_t>(header->bitpix) / 8;
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
  if (const auto parsed = parse_nifti_header(header, n)) check_nifti_header(*parsed, path.string());
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

void check_nifti_header(const NiftiHeader& header, const std::string& file) {
  const int64_t n = std::min<int64_t>(3, header.dim[0]);
  for (int64_t i = 1; i <= n; ++i) {
    const double d = header.pixdim[i];
    if (!(d > 0) || !std::isfinite(d)) {
      char value[32];
      std::snprintf(value, sizeof value, "%g", d);
      throw Error(file, std::string("cannot read image: invalid voxel spacing in header (pixdim[") +
                            std::to_string(i) + "] = " + value + ")");
    }
  }
}

}  // namespace unetx::io
