#include "io/deflate_splice.h"

#include <cstring>

namespace unetx::io {
namespace {

uint64_t load64(const unsigned char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
  w = __builtin_bswap64(w);
#endif
  return w;
}

void store64(unsigned char* p, uint64_t w) {
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
  w = __builtin_bswap64(w);
#endif
  std::memcpy(p, &w, 8);
}

// dst[k] = the 8 bits of `in` from bit 8 * (first + k) + shift on, for k < count (0 past n).
void copy_shifted(const unsigned char* in, size_t n, size_t first, unsigned shift,
                  unsigned char* dst, size_t count) {
  const size_t avail = first < n ? n - first : 0;
  if (shift == 0) {
    const size_t c = count < avail ? count : avail;
    std::memcpy(dst, in + first, c);
    std::memset(dst + c, 0, count - c);
    return;
  }
  size_t k = 0;
  // Eight output bytes per step; the fast loop stops while 16 input bytes remain readable.
  for (; k + 8 <= count && first + k + 16 <= n; k += 8) {
    const uint64_t lo = load64(in + first + k), hi = load64(in + first + k + 8);
    store64(dst + k, (lo >> shift) | (hi << (64 - shift)));
  }
  for (; k < count; ++k) {
    const size_t i = first + k;
    unsigned v = i < n ? in[i] >> shift : 0;
    if (i + 1 < n) v |= static_cast<unsigned>(in[i + 1]) << (8 - shift);
    dst[k] = static_cast<unsigned char>(v);
  }
}

}  // namespace

Bytes splice_deflate(const unsigned char* in, size_t n, uint64_t begin, uint64_t end,
                     const unsigned char* window, size_t window_len, bool close) {
  const uint64_t bits = end - begin;
  const size_t head = splice_header_size(window_len);
  const uint64_t total_bits = bits + (close ? 10 : 0);
  const size_t body = static_cast<size_t>((total_bits + 7) / 8);
  Bytes out(head + body);
  unsigned char* p = out.data.get();
  // Stored block header: BFINAL 0, BTYPE 00, padding to the byte end; LEN and NLEN little-endian.
  p[0] = 0;
  p[1] = static_cast<unsigned char>(window_len & 0xff);
  p[2] = static_cast<unsigned char>(window_len >> 8);
  p[3] = static_cast<unsigned char>(~window_len & 0xff);
  p[4] = static_cast<unsigned char>((~window_len >> 8) & 0xff);
  if (window_len > 0) std::memcpy(p + 5, window, window_len);
  unsigned char* dst = p + head;
  const size_t piece = static_cast<size_t>((bits + 7) / 8);
  copy_shifted(in, n, static_cast<size_t>(begin / 8), static_cast<unsigned>(begin % 8), dst, piece);
  // The shifted copy's last byte also holds bits from past `end`: clear them.
  if (bits % 8 != 0) dst[piece - 1] &= static_cast<unsigned char>((1u << (bits % 8)) - 1);
  std::memset(dst + piece, 0, body - piece);
  if (close) {
    // BFINAL = 1 then BTYPE = 01 (both LSB first): bits 1, 1, 0; then the fixed code of
    // symbol 256 (end of block), seven 0 bits, which the zero fill already holds.
    for (uint64_t b = bits; b < bits + 2; ++b)
      dst[b / 8] |= static_cast<unsigned char>(1u << (b % 8));
  }
  return out;
}

}  // namespace unetx::io
