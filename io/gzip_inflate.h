// Whole-buffer gzip decompression with libdeflate: several times faster than zlib's streaming
// inflate because it decodes straight into one output buffer (no window copies, wider table
// lookups). It needs the output size in advance; the gzip trailer only holds it mod 2^32 and
// only for the last member, so the output grows when the guess is short.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace unetx::io {

// `n` uninitialized bytes (null for 0). Buffers of 8 MB and more are asked to use transparent
// huge pages: inflating into fresh memory otherwise spends a page fault on every 4 KiB.
std::shared_ptr<unsigned char[]> allocate_bytes(size_t n);

// A byte buffer that is not zero-filled on allocation (a std::vector would memset every
// decompressed byte once more before libdeflate overwrites it). Shared, so a tensor can borrow
// the voxels in place (at::from_blob with a deleter holding a copy of `data`).
struct Bytes {
  std::shared_ptr<unsigned char[]> data;
  size_t size = 0;

  explicit Bytes(size_t n = 0) : data(allocate_bytes(n)), size(n) {}
  const unsigned char* begin() const { return data.get(); }
};

// True when the bytes start with the gzip magic (1f 8b).
bool is_gzip(const unsigned char* bytes, size_t n);

// Decompresses every gzip member of `in` (concatenated members, as `cat a.gz b.gz` or pigz
// write them) into one buffer; blocked files (io/gzip_blocks.h) and one large member
// (io/gzip_parallel.h) on the ATen intra-op threads. `size_hint`, when non-zero, is the expected
// decompressed size (e.g. from a NIfTI header); otherwise the trailer's ISIZE is used. Throws
// unetx::Error(name, "truncated gzip stream") when the data ends inside a member and
// unetx::Error(name, "corrupt gzip stream (...)") for bad data or a CRC mismatch.
Bytes gunzip(const unsigned char* in, size_t n, const std::string& name, uint64_t size_hint = 0);

// Inflates only the first `want` bytes of the stream (e.g. a header, to size the buffer for
// gunzip); returns how many it got (fewer when the stream is shorter or corrupt). Never throws.
size_t gunzip_prefix(const unsigned char* in, size_t n, unsigned char* out, size_t want);

// The whole file in memory. Throws unetx::Error(path, ...) when it cannot be read.
Bytes read_file_bytes(const std::filesystem::path& path);

}  // namespace unetx::io
