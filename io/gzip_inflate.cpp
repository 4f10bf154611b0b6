#include "io/gzip_inflate.h"

#include <ATen/Parallel.h>
#include <libdeflate.h>
#include <sys/mman.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "io/error.h"
#include "io/gzip_blocks.h"
#include "io/gzip_parallel.h"

namespace unetx::io {
namespace {

struct DecompressorDeleter {
  void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};
using Decompressor = std::unique_ptr<libdeflate_decompressor, DecompressorDeleter>;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

uint32_t trailer_isize(const unsigned char* in, size_t n) {
  if (n < 18) return 0;
  const unsigned char* t = in + n - 4;
  return static_cast<uint32_t>(t[0]) | (static_cast<uint32_t>(t[1]) << 8) |
         (static_cast<uint32_t>(t[2]) << 16) | (static_cast<uint32_t>(t[3]) << 24);
}

// libdeflate reports truncation and corruption alike (LIBDEFLATE_BAD_DATA); on that rare path
// zlib's streaming inflate tells them apart: input used up before the end of the member means
// the file was cut short.
[[noreturn]] void throw_bad_member(const unsigned char* in, size_t n, const std::string& name) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) throw Error(name, "corrupt gzip stream");
  std::vector<unsigned char> scratch(1 << 16);
  z.next_in = const_cast<unsigned char*>(in);
  z.avail_in = static_cast<uInt>(std::min<size_t>(n, 1u << 30));
  size_t left = n - z.avail_in;
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = scratch.data();
    z.avail_out = static_cast<uInt>(scratch.size());
    rc = inflate(&z, Z_NO_FLUSH);
    if (z.avail_in == 0 && left > 0) {
      const size_t step = std::min<size_t>(left, 1u << 30);
      z.avail_in = static_cast<uInt>(step);
      left -= step;
    }
    if (rc == Z_BUF_ERROR && z.avail_in == 0) break;
  }
  const std::string msg = z.msg ? z.msg : "";
  inflateEnd(&z);
  if (rc == Z_DATA_ERROR) throw Error(name, "corrupt gzip stream (" + msg + ")");
  if (rc == Z_STREAM_END) throw Error(name, "corrupt gzip stream (CRC or length mismatch)");
  throw Error(name, "truncated gzip stream");
}

// Inflates every member of a blocked stream straight into its place, members shared out over
// the intra-op threads. libdeflate checks each member's CRC32 and ISIZE.
Bytes gunzip_blocks(const unsigned char* in, const std::vector<GzipBlock>& blocks,
                    const std::string& name) {
  Bytes out(blocks.back().out_offset + blocks.back().out_size);
  std::atomic<int64_t> bad{-1};
  at::parallel_for(0, static_cast<int64_t>(blocks.size()), 8, [&](int64_t begin, int64_t end) {
    Decompressor d(libdeflate_alloc_decompressor());
    for (int64_t i = begin; i < end && d && bad.load() < 0; ++i) {
      const GzipBlock& b = blocks[static_cast<size_t>(i)];
      size_t produced = 0;
      const libdeflate_result rc =
          libdeflate_gzip_decompress(d.get(), in + b.in_offset, b.in_size,
                                     out.data.get() + b.out_offset, b.out_size, &produced);
      if (rc != LIBDEFLATE_SUCCESS || produced != b.out_size) bad = i;
    }
    if (!d) bad = begin;
  });
  if (bad.load() >= 0) {
    const GzipBlock& b = blocks[static_cast<size_t>(bad.load())];
    throw_bad_member(in + b.in_offset, b.in_size, name);
  }
  return out;
}

}  // namespace

std::shared_ptr<unsigned char[]> allocate_bytes(size_t n) {
  if (n == 0) return nullptr;
  constexpr size_t kHuge = size_t{2} << 20;
  if (n >= 4 * kHuge) {
    const size_t rounded = (n + kHuge - 1) / kHuge * kHuge;
    if (void* p = std::aligned_alloc(kHuge, rounded)) {
      ::madvise(p, rounded, MADV_HUGEPAGE);  // only a hint: when refused, 4 KiB pages serve
      return std::shared_ptr<unsigned char[]>(static_cast<unsigned char*>(p),
                                              [](unsigned char* q) { std::free(q); });
    }
  }
  return std::shared_ptr<unsigned char[]>(new unsigned char[n]);
}

bool is_gzip(const unsigned char* bytes, size_t n) {
  return n >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

Bytes gunzip(const unsigned char* in, size_t n, const std::string& name, uint64_t size_hint) {
  if (!is_gzip(in, n)) throw Error(name, "not a gzip stream");
  if (const auto blocks = index_gzip_blocks(in, n)) return gunzip_blocks(in, *blocks, name);
  // One large member (from ITK, nibabel, gzip): split over the threads when that works out;
  // on any doubt the parallel path declines and the serial decode below gives the answer.
  if (auto whole = gunzip_parallel(in, n, size_hint)) return std::move(*whole);
  Decompressor d(libdeflate_alloc_decompressor());
  if (!d) throw Error(name, "out of memory (gzip decompressor)");
  // The first guess: the hint when the trailer agrees with it (mod 2^32, so > 4 GiB works),
  // else the trailer, but never more than deflate's maximum ratio (1032:1) allows, so a lying
  // header or a cut-off trailer cannot ask for terabytes.
  const uint32_t isize = trailer_isize(in, n);
  uint64_t guess = size_hint > 0 && static_cast<uint32_t>(size_hint) == isize ? size_hint : isize;
  guess = std::min<uint64_t>(guess, static_cast<uint64_t>(n) * 1032 + 1024);
  size_t capacity = std::max<uint64_t>(guess, 1 << 16);
  Bytes out(capacity);
  size_t in_pos = 0, out_pos = 0;
  // One iteration per member; a member that does not fit is decoded again into a larger buffer.
  while (in_pos < n && is_gzip(in + in_pos, n - in_pos)) {
    size_t used = 0, produced = 0;
    const libdeflate_result rc =
        libdeflate_gzip_decompress_ex(d.get(), in + in_pos, n - in_pos, out.data.get() + out_pos,
                                      capacity - out_pos, &used, &produced);
    if (rc == LIBDEFLATE_INSUFFICIENT_SPACE) {
      capacity *= 2;
      Bytes bigger(capacity);
      std::memcpy(bigger.data.get(), out.data.get(), out_pos);
      out = std::move(bigger);
      continue;
    }
    if (rc != LIBDEFLATE_SUCCESS) throw_bad_member(in + in_pos, n - in_pos, name);
    in_pos += used;
    out_pos += produced;
  }
  // Bytes after the last member that are not another member (zero padding from some tape or
  // network copies) are ignored, as gzip(1) and zlib's gzread do.
  out.size = out_pos;
  return out;
}

size_t gunzip_prefix(const unsigned char* in, size_t n, unsigned char* out, size_t want) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return 0;
  z.next_in = const_cast<unsigned char*>(in);
  z.avail_in = static_cast<uInt>(std::min<size_t>(n, 1u << 20));  // a header is near the start
  z.next_out = out;
  z.avail_out = static_cast<uInt>(want);
  while (z.avail_out > 0) {
    const int rc = inflate(&z, Z_NO_FLUSH);
    // A header may span members (concatenated gzip files): go on into the next one.
    if (rc == Z_STREAM_END && is_gzip(z.next_in, z.avail_in) && inflateReset(&z) == Z_OK) continue;
    if (rc != Z_OK) break;
  }
  const size_t got = want - z.avail_out;
  inflateEnd(&z);
  return got;
}

Bytes read_file_bytes(const std::filesystem::path& path) {
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(path.c_str(), "rb"));
  if (!f) throw Error(path.string(), std::string("cannot open: ") + std::strerror(errno));
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) throw Error(path.string(), "cannot read size: " + ec.message());
  Bytes bytes(size);
  if (size > 0 && std::fread(bytes.data.get(), 1, size, f.get()) != size) {
    throw Error(path.string(), "short read");
  }
  return bytes;
}

}  // namespace unetx::io
