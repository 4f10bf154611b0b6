#include "io/gzip_parallel.h"

#include <ATen/Parallel.h>
#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <vector>

#include "io/deflate_scan.h"
#include "io/deflate_splice.h"

namespace unetx::io {
namespace {

constexpr size_t kWindow = kDeflateWindow;
constexpr size_t kTrailer = 8;  // CRC32 + ISIZE, little-endian
// How far past its planned place a chunk start is searched for: zlib ends a block every 16K
// symbols (memLevel 8), well under 256 KiB of compressed data; only stored blocks (incompressible
// data, which inflates at memcpy speed anyway) have no header to find.
constexpr uint64_t kSearchBits = uint64_t{256} << 13;  // 256 KiB

struct DecompressorDeleter {
  void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};
using Decompressor = std::unique_ptr<libdeflate_decompressor, DecompressorDeleter>;

uint32_t le32(const unsigned char* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

// The two stand-in windows. Window byte j reads a(j) = j mod 256 in the main decode and
// e(j) = a(j) + 1 + j / 256 (mod 256) in the second decode of a chunk's prefix. The two always
// differ (j / 256 < 128), so an output byte that copies window byte j differs between the decodes
// while every other byte comes out the same; and the pair (a, e) names j, so the byte can later
// be set to the true window's byte j without decoding again.
const unsigned char* main_window() {
  static const std::vector<unsigned char> w = [] {
    std::vector<unsigned char> v(kWindow);
    for (size_t j = 0; j < kWindow; ++j) v[j] = static_cast<unsigned char>(j & 0xff);
    return v;
  }();
  return w.data();
}
const unsigned char* second_window() {
  static const std::vector<unsigned char> w = [] {
    std::vector<unsigned char> v(kWindow);
    for (size_t j = 0; j < kWindow; ++j)
      v[j] = static_cast<unsigned char>((j + 1 + (j >> 8)) & 0xff);
    return v;
  }();
  return w.data();
}

// One piece of the deflate data, bits [begin, end), starting on a (presumed) block boundary.
struct Chunk {
  uint64_t begin = 0, end = 0;
  bool last = false;  // holds the final block; `end` is the start of the trailer
  Bytes out;          // chunks after the first: main window + own output
  Bytes alt;          // the same with the second window, for the first `prefix` output bytes
  size_t size = 0;    // own output bytes
  size_t prefix = 0;  // leading output bytes that may depend on the window
  bool redo = false;  // dependence lasts too long: decode again once the true window is known
  uint32_t crc = 0;   // the first chunk's CRC32 (computed while later chunks still decode)
};

// Chunk starts over the deflate data in bits [first, end), each moved on to the next plausible
// block header (searched at most `search` bits on; a start with none is dropped). The first chunk
// is `lead` bits longer than the others, which also decode their prefix a second time.
std::vector<Chunk> cut_chunks(const unsigned char* in, size_t n, uint64_t first, uint64_t end,
                              int count, uint64_t lead, uint64_t search) {
  const uint64_t bits = end - first;
  // Never more than a quarter of a chunk: in small members the later chunks would shrink so much
  // that window dependence outlasts half of them.
  lead = std::min(lead, bits / (4 * static_cast<uint64_t>(count)));
  const uint64_t later = (bits - lead) / static_cast<uint64_t>(count);
  std::vector<Chunk> chunks(1);
  chunks[0].begin = first;
  for (int i = 1; i < count; ++i) {
    const uint64_t target = first + lead + later * static_cast<uint64_t>(i);
    const uint64_t from = std::max(target, chunks.back().begin + 1);
    const uint64_t p = find_dynamic_block(in, n, from, std::min(end, from + search));
    if (p >= std::min(end, from + search)) continue;
    chunks.back().end = p;
    chunks.emplace_back().begin = p;
  }
  chunks.back().end = end;
  chunks.back().last = true;
  return chunks;
}

// Whether the last chunk's decode, having used `piece_used` bytes of its (shifted) piece, ended
// where a lone member's deflate data must end: in the byte just before the 8-byte trailer. The
// decoder counts whole bytes, so both ends are known to within one byte (8 bits).
bool ends_at_trailer(uint64_t begin, size_t piece_used, size_t n) {
  if (piece_used == 0 || n < kTrailer + 1) return false;
  const uint64_t used_bits = 8 * uint64_t{piece_used}, data_end = 8 * uint64_t{n - kTrailer};
  const uint64_t lo = std::max<uint64_t>(begin + used_bits - 8, data_end - 8);
  const uint64_t hi = std::min<uint64_t>(begin + used_bits, data_end);
  return lo < hi;
}

// For a chunk decoded with the main window: decodes its start again with the second window, a
// run of blocks at a time (each run's window being the previous run's last 32 KiB), until the
// last 32 KiB of both decodes agree: from there on no output depends on the window. False when
// that does not happen in the first half of the chunk (decoding it whole again is cheaper then).
bool find_prefix(libdeflate_decompressor* d, const unsigned char* in, size_t n, Chunk& c,
                 size_t step_bytes) {
  c.alt = Bytes(kWindow + c.size);
  std::memcpy(c.alt.data.get(), second_window(), kWindow);
  uint64_t p = c.begin, from = c.begin + uint64_t{step_bytes} * 8;
  size_t done = 0;  // output decoded with the second window; it sits at alt[kWindow + t]
  for (;;) {
    const uint64_t q = find_dynamic_block(in, n, from, c.end);
    if (q >= c.end || done > c.size / 2) return false;
    // The run's window is alt[done, done + kWindow): the stored block writes it onto itself.
    unsigned char* at = c.alt.data.get() + done;
    const Bytes s = splice_deflate(in, n, p, q, at, kWindow, true);
    size_t used = 0, produced = 0;
    const libdeflate_result rc = libdeflate_deflate_decompress_ex(
        d, s.begin(), s.size, at, c.alt.size - done, &used, &produced);
    // A failed run means q was not a true block boundary: try the next candidate. The window
    // bytes at `at` are intact (the stored block holding them is decoded first).
    if (rc != LIBDEFLATE_SUCCESS || used != s.size || produced < kWindow) {
      from = q + 1;
      continue;
    }
    done += produced - kWindow;
    if (done > c.size) return false;
    p = q;
    from = q + uint64_t{step_bytes} * 8;
    // The last 32 KiB decoded sit at buffer index [done, done + kWindow) in both buffers.
    if (done >= kWindow && std::memcmp(c.out.begin() + done, c.alt.begin() + done, kWindow) == 0) {
      c.prefix = done;
      return true;
    }
  }
}

// Inflates one chunk: the first into `head` (capacity `expected`), later ones into their own
// buffer after the main stand-in window, then finds their window-dependent prefix. False unless
// the decode ends exactly where the chunk does.
bool decode_chunk(libdeflate_decompressor* d, const unsigned char* in, size_t n, Chunk& c,
                  Bytes* head, size_t expected, uint64_t total_bits, size_t step_bytes) {
  const size_t window = head ? 0 : kWindow;
  const Bytes s = splice_deflate(in, n, c.begin, c.end, main_window(), window, !c.last);
  size_t used = 0, produced = 0;
  libdeflate_result rc = LIBDEFLATE_BAD_DATA;
  if (head) {
    rc = libdeflate_deflate_decompress_ex(d, s.begin(), s.size, head->data.get(), expected, &used,
                                          &produced);
  } else {
    // The chunk's share of the output, with room to spare; grown when the data is uneven.
    const double share = static_cast<double>(c.end - c.begin) / static_cast<double>(total_bits);
    size_t cap = window + std::min<size_t>(
                              expected, static_cast<size_t>(2.0 * share * expected) + (1u << 20));
    for (;;) {
      c.out = Bytes(cap);
      rc = libdeflate_deflate_decompress_ex(d, s.begin(), s.size, c.out.data.get(), cap, &used,
                                            &produced);
      if (rc != LIBDEFLATE_INSUFFICIENT_SPACE || cap >= window + expected) break;
      cap = std::min(2 * cap, window + expected);
    }
  }
  if (rc != LIBDEFLATE_SUCCESS || produced < window) return false;
  c.size = produced - window;
  const size_t head_bytes = splice_header_size(window);
  const bool ended =
      c.last ? used > head_bytes && ends_at_trailer(c.begin, used - head_bytes, n) : used == s.size;
  if (!ended) return false;
  if (head) {
    c.crc = libdeflate_crc32(0, head->begin(), c.size);
    return true;
  }
  c.redo = !find_prefix(d, in, n, c, step_bytes);
  if (c.redo) c.alt = Bytes();
  return true;
}

// Decodes a chunk whose window dependence did not end early again, now with the true window
// (`window`, exact), into its own buffer: all of it is exact then.
bool redo_chunk(libdeflate_decompressor* d, const unsigned char* in, size_t n, Chunk& c,
                const unsigned char* window) {
  const Bytes s = splice_deflate(in, n, c.begin, c.end, window, kWindow, !c.last);
  size_t produced = 0;
  const libdeflate_result rc = libdeflate_deflate_decompress_ex(
      d, s.begin(), s.size, c.out.data.get(), kWindow + c.size, nullptr, &produced);
  c.prefix = 0;
  return rc == LIBDEFLATE_SUCCESS && produced == kWindow + c.size;
}

// The last 32 KiB of chunk i's output, exact once chunk i is done (and redone, if it must be):
// the first chunk's in `out`, a later one's at the end of its own buffer (after its prefix).
const unsigned char* chunk_tail(const std::vector<Chunk>& chunks, size_t i, const Bytes& out) {
  return i == 0 ? out.begin() + chunks[0].size - kWindow : chunks[i].out.begin() + chunks[i].size;
}

// Sets every byte in [lo, hi) of a chunk's prefix that copied from the stand-in window to the
// true window's byte (`window`: the 32 KiB of output before the chunk). False when a byte names
// no window position, which only corrupt or misread data can cause. `patched` counts the bytes set.
bool patch_prefix(const Chunk& c, const unsigned char* window, unsigned char* dst, size_t lo,
                  size_t hi, uint64_t& patched) {
  const unsigned char* a = c.out.begin() + kWindow;
  const unsigned char* e = c.alt.begin() + kWindow;
  for (size_t t = lo; t < hi; ++t) {
    // Most bytes agree: skip them eight at a time.
    while (t + 8 <= hi && std::memcmp(a + t, e + t, 8) == 0) t += 8;
    if (t >= hi) break;
    if (a[t] == e[t]) continue;
    const unsigned high = static_cast<unsigned char>(e[t] - a[t] - 1);
    if (high >= kWindow / 256) return false;
    dst[t] = window[(high << 8) | a[t]];
    ++patched;
  }
  return true;
}

// A stretch of a later chunk's output that one thread moves into place, patches and checksums.
struct Piece {
  size_t chunk = 0, lo = 0, hi = 0;
  uint32_t crc = 0;
  uint64_t patched = 0;
};

// Decodes again the chunks that must be, then moves every later chunk's output into place after
// the first's, patches its prefix and returns the CRC32 of the whole output (`head_crc`: the
// first chunk's), or nullopt when a decode or a patch fails; `patched` counts patched bytes.
// The true window of chunk i is the end of chunk i - 1, exact already: window-dependent bytes end
// 32 KiB before a prefix does, and a prefix ends inside its chunk.
std::optional<uint32_t> assemble(const unsigned char* in, size_t n, std::vector<Chunk>& chunks,
                                 Bytes& out, uint32_t head_crc, uint64_t& patched) {
  constexpr size_t kPiece = size_t{1} << 20;
  std::vector<size_t> offset(chunks.size(), 0);
  std::vector<Piece> pieces;
  for (size_t i = 1; i < chunks.size(); ++i) {
    if (chunks[i - 1].size < kWindow) return std::nullopt;
    offset[i] = offset[i - 1] + chunks[i - 1].size;
    for (size_t lo = 0; lo < chunks[i].size; lo += kPiece) {
      pieces.push_back({i, lo, std::min(chunks[i].size, lo + kPiece), 0, 0});
    }
  }
  // Chunks to decode again go first, in order: each needs the exact end of the one before.
  Decompressor d(libdeflate_alloc_decompressor());
  for (size_t i = 1; i < chunks.size(); ++i) {
    if (chunks[i].redo &&
        !(d && redo_chunk(d.get(), in, n, chunks[i], chunk_tail(chunks, i - 1, out)))) {
      return std::nullopt;
    }
  }
  std::atomic<bool> bad{false};
  at::parallel_for(0, static_cast<int64_t>(pieces.size()), 1, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
      Piece& p = pieces[static_cast<size_t>(k)];
      const Chunk& c = chunks[p.chunk];
      // The window comes from the previous chunk's own buffer: its place in `out` may be being
      // written by another thread right now (chunk 0 was decoded in place and stays still).
      const unsigned char* window = chunk_tail(chunks, p.chunk - 1, out);
      unsigned char* dst = out.data.get() + offset[p.chunk];
      std::memcpy(dst + p.lo, c.out.begin() + kWindow + p.lo, p.hi - p.lo);
      if (p.lo < c.prefix &&
          !patch_prefix(c, window, dst, p.lo, std::min(p.hi, c.prefix), p.patched)) {
        bad = true;
      }
      p.crc = libdeflate_crc32(0, dst + p.lo, p.hi - p.lo);
    }
  });
  if (bad.load()) return std::nullopt;
  uLong crc = head_crc;
  for (const Piece& p : pieces) {
    crc = crc32_combine(crc, p.crc, static_cast<z_off_t>(p.hi - p.lo));
    patched += p.patched;
  }
  return static_cast<uint32_t>(crc);
}

}  // namespace

size_t gzip_header_size(const unsigned char* in, size_t n) {
  if (n < 10 || in[0] != 0x1f || in[1] != 0x8b || in[2] != 8 || (in[3] & 0xe0) != 0) return 0;
  const unsigned flags = in[3];
  size_t pos = 10;
  if (flags & 4) {  // FEXTRA: 2-byte length, then that many bytes
    if (pos + 2 > n) return 0;
    pos += 2 + (static_cast<size_t>(in[pos]) | (static_cast<size_t>(in[pos + 1]) << 8));
  }
  for (const unsigned zero_terminated : {8u, 16u}) {  // FNAME, FCOMMENT
    if ((flags & zero_terminated) == 0) continue;
    while (pos < n && in[pos] != 0) ++pos;
    if (pos >= n) return 0;
    ++pos;
  }
  if (flags & 2) pos += 2;  // FHCRC
  return pos <= n ? pos : 0;
}

std::optional<Bytes> gunzip_parallel(const unsigned char* in, size_t n, uint64_t size_hint,
                                     const ParallelGunzipOptions& options,
                                     ParallelGunzipStats* stats) {
  const size_t head = gzip_header_size(in, n);
  if (head == 0 || n < head + kTrailer + 1) return std::nullopt;
  const size_t deflate_bytes = n - kTrailer - head;
  int64_t count = options.chunks > 0 ? options.chunks : at::get_num_threads();
  count = std::min<int64_t>(count, deflate_bytes / std::max<size_t>(options.min_chunk_bytes, 1));
  // Inside a parallel region the chunks would run one after another: serial is faster then.
  if (count < 2 || at::in_parallel_region()) return std::nullopt;
  // The output size, as the serial path guesses it: the hint when the trailer agrees with it
  // (mod 2^32), else the trailer; a member that inflates to anything else is left to that path.
  const uint32_t isize = le32(in + n - 4);
  const uint64_t expected =
      size_hint > 0 && static_cast<uint32_t>(size_hint) == isize ? size_hint : isize;
  if (expected == 0 || expected > uint64_t{n} * 1032) return std::nullopt;

  const uint64_t first = uint64_t{head} * 8, end = uint64_t{n - kTrailer} * 8;
  std::vector<Chunk> chunks = cut_chunks(in, n, first, end, static_cast<int>(count),
                                         uint64_t{options.lead_bytes} * 8, kSearchBits);
  if (chunks.size() < 2) return std::nullopt;
  Bytes out(static_cast<size_t>(expected));
  std::atomic<bool> failed{false};
  at::parallel_for(0, static_cast<int64_t>(chunks.size()), 1, [&](int64_t b, int64_t e) {
    Decompressor d(libdeflate_alloc_decompressor());
    for (int64_t i = b; i < e && d && !failed.load(); ++i) {
      if (!decode_chunk(d.get(), in, n, chunks[static_cast<size_t>(i)], i == 0 ? &out : nullptr,
                        out.size, end - first, options.step_bytes)) {
        failed = true;
      }
    }
    if (!d) failed = true;
  });
  if (failed.load()) return std::nullopt;
  uint64_t total = 0;
  for (const Chunk& c : chunks) total += c.size;
  if (total != expected) return std::nullopt;
  uint64_t patched = 0;
  const std::optional<uint32_t> crc = assemble(in, n, chunks, out, chunks[0].crc, patched);
  if (!crc || *crc != le32(in + n - kTrailer)) return std::nullopt;
  if (stats) {
    stats->chunks = static_cast<int>(chunks.size());
    stats->redone = static_cast<int>(
        std::count_if(chunks.begin(), chunks.end(), [](const Chunk& c) { return c.redo; }));
    stats->patched = patched;
  }
  return out;
}

}  // namespace unetx::io
