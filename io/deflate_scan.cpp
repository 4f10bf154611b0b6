#include "io/deflate_scan.h"

#include <cstring>

// Hand-written on purpose: neither zlib nor libdeflate can start decoding at a bit offset, nor
// answer "is this a valid block header?" without decoding the block's data as well. Only the
// header is decoded here (RFC 1951, section 3.2.7); no data symbol is ever read.
namespace unetx::io {
namespace {

// Code-length code lengths are sent in this symbol order (RFC 1951 3.2.7).
constexpr int kPrecodeOrder[19] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                   11, 4,  12, 3, 13, 2, 14, 1, 15};
constexpr int kMaxLitLen = 286, kMaxDist = 30;

// The 64 bits from bit `pos` on (at least 57 of them meaningful); bits past the data read as 0.
uint64_t peek(const unsigned char* in, size_t n, uint64_t pos) {
  const uint64_t byte = pos >> 3;
  uint64_t w = 0;
  if (byte + 8 <= n) {
    std::memcpy(&w, in + byte, 8);
#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
    w = __builtin_bswap64(w);
#endif
  } else {
    for (uint64_t i = byte; i < n && i < byte + 8; ++i) w |= uint64_t{in[i]} << (8 * (i - byte));
  }
  return w >> (pos & 7);
}

enum class Kraft { Over, Complete, Incomplete };

// Compares the code space the lengths use with the whole space of a `max_len`-bit code;
// `used` returns how many symbols have a code.
Kraft kraft(const unsigned char* lens, int count, int max_len, int& used) {
  uint32_t space = 0;
  used = 0;
  for (int i = 0; i < count; ++i) {
    if (lens[i] == 0) continue;
    space += uint32_t{1} << (max_len - lens[i]);
    ++used;
  }
  const uint32_t full = uint32_t{1} << max_len;
  return space > full ? Kraft::Over : space == full ? Kraft::Complete : Kraft::Incomplete;
}

// Lookup table of a complete code-length code: 7 input bits (LSB first) -> symbol and length.
struct Precode {
  unsigned char symbol[128];
  unsigned char length[128];
};

void build_precode(const unsigned char lens[19], Precode& t) {
  int count[8] = {0};
  for (int s = 0; s < 19; ++s) ++count[lens[s]];
  count[0] = 0;
  int next[8] = {0};
  for (int len = 1, code = 0; len <= 7; ++len) {
    code = (code + count[len - 1]) << 1;
    next[len] = code;
  }
  for (int s = 0; s < 19; ++s) {
    const int len = lens[s];
    if (len == 0) continue;
    // Huffman codes are packed most significant bit first, so reverse them for an LSB reader.
    const int code = next[len]++;
    int reversed = 0;
    for (int b = 0; b < len; ++b) reversed |= ((code >> b) & 1) << (len - 1 - b);
    for (int r = reversed; r < 128; r += 1 << len) {
      t.symbol[r] = static_cast<unsigned char>(s);
      t.length[r] = static_cast<unsigned char>(len);
    }
  }
}

// Decodes `total` literal/length + distance code lengths from bit `pos`; false when a repeat
// runs past `total`, repeats nothing, or the header runs past the data.
bool read_code_lengths(const unsigned char* in, size_t n, uint64_t pos, const Precode& t, int total,
                       unsigned char* lens) {
  int i = 0;
  while (i < total) {
    const uint64_t w = peek(in, n, pos);
    const int symbol = t.symbol[w & 127], len = t.length[w & 127];
    pos += static_cast<uint64_t>(len);
    if (symbol < 16) {
      lens[i++] = static_cast<unsigned char>(symbol);
      continue;
    }
    int repeat = 0;
    unsigned char value = 0;
    if (symbol == 16) {
      if (i == 0) return false;
      repeat = 3 + static_cast<int>((w >> len) & 3);
      value = lens[i - 1];
      pos += 2;
    } else if (symbol == 17) {
      repeat = 3 + static_cast<int>((w >> len) & 7);
      pos += 3;
    } else {
      repeat = 11 + static_cast<int>((w >> len) & 127);
      pos += 7;
    }
    if (i + repeat > total) return false;
    std::memset(lens + i, value, static_cast<size_t>(repeat));
    i += repeat;
  }
  return pos <= uint64_t{n} * 8;
}

}  // namespace

bool is_dynamic_block_header(const unsigned char* in, size_t n, uint64_t pos) {
  const uint64_t h = peek(in, n, pos);
  // BFINAL = 0 and BTYPE = 2 (bits 1-2, LSB first): the three low bits read 100b = 4.
  if ((h & 7) != 4) return false;
  const int hlit = 257 + static_cast<int>((h >> 3) & 31);
  const int hdist = 1 + static_cast<int>((h >> 8) & 31);
  const int hclen = 4 + static_cast<int>((h >> 13) & 15);
  if (hlit > kMaxLitLen || hdist > kMaxDist) return false;
  // 14 header bits + up to 19 * 3 = 57 bits of code-length code lengths: read them in one go
  // from bit 17 on.
  unsigned char pre[19] = {0};
  const uint64_t lens_bits = peek(in, n, pos + 17);
  // Kraft sum of the code-length code as its lengths arrive: most false positions over-subscribe
  // it within a few lengths.
  uint32_t space = 0;
  for (int i = 0; i < hclen; ++i) {
    const unsigned len = static_cast<unsigned>((lens_bits >> (3 * i)) & 7);
    pre[kPrecodeOrder[i]] = static_cast<unsigned char>(len);
    space += len ? 128u >> len : 0u;
    if (space > 128) return false;
  }
  if (space != 128) return false;
  int used = 0;
  Precode table;
  build_precode(pre, table);
  unsigned char lens[kMaxLitLen + kMaxDist];
  if (!read_code_lengths(in, n, pos + 17 + 3 * static_cast<uint64_t>(hclen), table, hlit + hdist,
                         lens)) {
    return false;
  }
  if (lens[256] == 0 || kraft(lens, hlit, 15, used) != Kraft::Complete) return false;
  const Kraft dist = kraft(lens + hlit, hdist, 15, used);
  if (dist == Kraft::Complete) return true;
  // Decoders accept a distance code with one symbol of length 1 (or none: a block of literals).
  if (dist == Kraft::Over) return false;
  if (used == 0) return true;
  if (used != 1) return false;
  for (int i = 0; i < hdist; ++i) {
    if (lens[hlit + i] != 0) return lens[hlit + i] == 1;
  }
  return false;
}

uint64_t find_dynamic_block(const unsigned char* in, size_t n, uint64_t from, uint64_t to) {
  // A header needs at least 3 + 14 + 4 * 3 bits, so stop that far before the end of the data.
  const uint64_t last = uint64_t{n} * 8 > 29 ? uint64_t{n} * 8 - 29 : 0;
  const uint64_t stop = to < last ? to : last;
  for (uint64_t base = from; base < stop; base += 48) {
    // Tests 48 positions at once on one 64-bit word (each test needs 13 bits from its position):
    // bit p = 0 (BFINAL), bits p+1, p+2 = 0, 1 (BTYPE 10b), and neither HLIT (bits p+3..p+7)
    // nor HDIST (p+8..p+12) is 30 or 31, i.e. has its four high bits set. About 1 position in
    // 9 passes on to the full test.
    const uint64_t w = peek(in, n, base);
    uint64_t hit = ~w & ~(w >> 1) & (w >> 2);
    hit &= ~((w >> 4) & (w >> 5) & (w >> 6) & (w >> 7));
    hit &= ~((w >> 9) & (w >> 10) & (w >> 11) & (w >> 12));
    hit &= (uint64_t{1} << 48) - 1;
    while (hit != 0) {
      const uint64_t p = base + static_cast<uint64_t>(__builtin_ctzll(hit));
      if (p >= stop) return to;
      if (is_dynamic_block_header(in, n, p)) return p;
      hit &= hit - 1;
    }
  }
  return to;
}

}  // namespace unetx::io
