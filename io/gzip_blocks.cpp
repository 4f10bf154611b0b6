#include "io/gzip_blocks.h"

#include <ATen/Parallel.h>
#include <libdeflate.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>

#include "io/error.h"

namespace unetx::io {
namespace {

// A member: 18-byte header (with the 6-byte "BC" extra field), deflate data, CRC32, ISIZE.
constexpr size_t kHeaderBytes = 18;
constexpr size_t kTrailerBytes = 8;
constexpr size_t kMaxMember = 65536;  // BSIZE is a uint16 holding size - 1
// Members compressed per batch and per thread: enough work to share, little memory held.
constexpr size_t kBlocksPerThread = 16;

// BGZF's end-of-file marker: an empty member with the "BC" field.
constexpr unsigned char kEofMember[28] = {0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, 'B', 'C',
                                          2,    0,    0x1b, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0};

struct CompressorDeleter {
  void operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }
};
using Compressor = std::unique_ptr<libdeflate_compressor, CompressorDeleter>;

void put_le(unsigned char* p, uint32_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

uint32_t get_le(const unsigned char* p, int bytes) {
  uint32_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint32_t>(p[i]) << (8 * i);
  return v;
}

// Compresses `n` <= kGzipBlockInput bytes into one member at `out` (kMaxMember bytes of room);
// returns the member's size. Data that deflate cannot shrink enough is stored (level 0).
size_t compress_member(libdeflate_compressor* c, libdeflate_compressor* stored,
                       const unsigned char* in, size_t n, unsigned char* out) {
  const size_t room = kMaxMember - kHeaderBytes - kTrailerBytes;
  size_t deflated = libdeflate_deflate_compress(c, in, n, out + kHeaderBytes, room);
  if (deflated == 0) deflated = libdeflate_deflate_compress(stored, in, n, out + kHeaderBytes, room);
  const size_t total = kHeaderBytes + deflated + kTrailerBytes;
  std::memcpy(out, kEofMember, kHeaderBytes);  // the same header, only BSIZE differs
  put_le(out + 16, static_cast<uint32_t>(total - 1), 2);
  put_le(out + kHeaderBytes + deflated, libdeflate_crc32(0, in, n), 4);
  put_le(out + kHeaderBytes + deflated + 4, static_cast<uint32_t>(n), 4);
  return total;
}

// BSIZE + 1 when the member at `p` (`left` bytes available) carries a "BC" extra subfield; 0 else.
size_t bgzf_member_size(const unsigned char* p, size_t left) {
  if (left < kHeaderBytes || p[0] != 0x1f || p[1] != 0x8b || p[2] != 8 || !(p[3] & 4)) return 0;
  const size_t xlen = get_le(p + 10, 2);
  if (12 + xlen > left) return 0;
  for (size_t at = 12; at + 4 <= 12 + xlen;) {
    const size_t slen = get_le(p + at + 2, 2);
    if (p[at] == 'B' && p[at + 1] == 'C' && slen == 2 && at + 6 <= 12 + xlen) {
      return get_le(p + at + 4, 2) + 1;
    }
    at += 4 + slen;
  }
  return 0;
}

}  // namespace

BlockedGzipWriter::BlockedGzipWriter(std::FILE* file, std::string name, int level)
    : file_(file), name_(std::move(name)), level_(level) {}

void BlockedGzipWriter::append(const unsigned char* data, size_t n) {
  const size_t blocks = (n + kGzipBlockInput - 1) / kGzipBlockInput;
  const size_t batch = kBlocksPerThread * static_cast<size_t>(std::max(1, at::get_num_threads()));
  std::vector<unsigned char> slots(std::min(blocks, batch) * kMaxMember);
  std::vector<size_t> sizes(std::min(blocks, batch));
  std::atomic<bool> out_of_memory{false};
  for (size_t first = 0; first < blocks; first += batch) {
    const size_t count = std::min(batch, blocks - first);
    at::parallel_for(0, static_cast<int64_t>(count), 1, [&](int64_t begin, int64_t end) {
      Compressor c(libdeflate_alloc_compressor(level_));
      Compressor stored(libdeflate_alloc_compressor(0));
      if (!c || !stored) {
        out_of_memory = true;
        return;
      }
      for (int64_t b = begin; b < end; ++b) {
        const size_t at = (first + static_cast<size_t>(b)) * kGzipBlockInput;
        const size_t len = std::min(kGzipBlockInput, n - at);
        sizes[b] = compress_member(c.get(), stored.get(), data + at, len,
                                   slots.data() + static_cast<size_t>(b) * kMaxMember);
      }
    });
    if (out_of_memory) throw Error(name_, "cannot write: out of memory (gzip compressor)");
    for (size_t b = 0; b < count; ++b) {
      if (std::fwrite(slots.data() + b * kMaxMember, 1, sizes[b], file_) != sizes[b]) {
        throw Error(name_, std::string("cannot write: ") + std::strerror(errno));
      }
    }
  }
}

void BlockedGzipWriter::finish() {
  if (std::fwrite(kEofMember, 1, sizeof kEofMember, file_) != sizeof kEofMember) {
    throw Error(name_, std::string("cannot write: ") + std::strerror(errno));
  }
}

std::optional<std::vector<GzipBlock>> index_gzip_blocks(const unsigned char* in, size_t n) {
  std::vector<GzipBlock> blocks;
  size_t pos = 0, out = 0;
  while (pos < n) {
    const size_t size = bgzf_member_size(in + pos, n - pos);
    if (size < kHeaderBytes + kTrailerBytes || size > n - pos) return std::nullopt;
    GzipBlock b;
    b.in_offset = pos;
    b.in_size = size;
    b.out_offset = out;
    b.out_size = get_le(in + pos + size - 4, 4);
    if (b.out_size > kMaxMember) return std::nullopt;  // not a member a BGZF writer makes
    blocks.push_back(b);
    out += b.out_size;
    pos += size;
  }
  if (blocks.empty()) return std::nullopt;
  return blocks;
}

}  // namespace unetx::io
