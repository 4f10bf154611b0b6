#include "io/nifti_check.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>

#include "io/error.h"
#include "io/file_name.h"
#include "io/gzip_inflate.h"
#include "io/nifti_header.h"

namespace unetx::io {
namespace {

namespace fs = std::filesystem;

// Bytes the header promises (data offset + voxel data); nullopt when the header is not
// recognised or is header-only.
std::optional<uint64_t> expected_bytes(const NiftiHeader& header) {
  if (header.bitpix <= 0 || !header.single_file) return std::nullopt;
  if (header.voxel_count() > (uint64_t{1} << 48)) return std::nullopt;  // ITK refuses these
  return header.data_offset() + header.voxel_count() * static_cast<uint64_t>(header.bitpix) / 8;
}

// Decompressed length of a gzip file (every member); nullopt if it is corrupt or cut short.
std::optional<uint64_t> gzip_length(const fs::path& path) {
  try {
    const Bytes file = read_file_bytes(path);
    return gunzip(file.begin(), file.size, path.string()).size;
  } catch (const Error&) {
    return std::nullopt;
  }
}

[[noreturn]] void truncated(const fs::path& path, const std::string& detail) {
  throw Error(path.string(), "cannot read image: truncated or corrupt NIfTI file (" + detail + ")");
}

}  // namespace

void check_nifti_complete(const fs::path& path) {
  const bool gz = has_suffix(path, ".nii.gz");
  if (!gz && !has_suffix(path, ".nii")) return;
  const std::optional<NiftiHeader> header = read_nifti_header_file(path);
  if (!header) return;
  check_nifti_header(*header, path.string());
  const std::optional<uint64_t> expected = expected_bytes(*header);
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
