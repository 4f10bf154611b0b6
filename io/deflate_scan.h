// Finding deflate block boundaries in the middle of a stream, without decoding what comes before.
//
// Why: a single gzip member (what ITK, nibabel and gzip(1) write) is one chain of deflate blocks
// that is normally decoded from its start by one thread. To decode it on several threads we must
// guess where a block starts a few MB in. Almost every block zlib and libdeflate write carries
// its own dynamic Huffman tables, and a block header is highly redundant (the code-length code
// and both Huffman codes must be exactly complete), so testing every bit position for a header
// that a decoder would accept finds true block starts and rejects nearly all false positions.
// A false hit is still possible; callers must verify what they decode (io/gzip_parallel.h does,
// with the gzip CRC32).
//
// Bit positions count from bit 0 of byte 0, least significant bit first (deflate's bit order):
// bit k is bit (k % 8) of byte k / 8.
#pragma once

#include <cstddef>
#include <cstdint>

namespace unetx::io {

// True when bit `pos` of in[0, n) starts a non-final dynamic-Huffman block (BFINAL 0, BTYPE 10b)
// whose header decodes fully inside the data and is valid: HLIT <= 286 and HDIST <= 30 codes; a
// complete code-length code; code-length repeats that stay within the HLIT + HDIST lengths (a
// repeat of "previous" needs one); a complete literal/length code whose end-of-block symbol (256)
// has a code; a complete distance code, or one with a single code of length 1, or none.
bool is_dynamic_block_header(const unsigned char* in, size_t n, uint64_t pos);

// The first bit position p in [from, to) with is_dynamic_block_header(in, n, p), or `to` when
// there is none. `to` may exceed n * 8 (positions past the data never match).
uint64_t find_dynamic_block(const unsigned char* in, size_t n, uint64_t from, uint64_t to);

}  // namespace unetx::io
