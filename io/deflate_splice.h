// Cutting a piece out of a deflate stream so that libdeflate can decode it on its own.
//
// libdeflate decodes whole raw deflate streams only: it cannot start at a bit offset, cannot be
// given the 32 KiB of history (window) that back-references in the middle of a stream reach
// into, and cannot be told to stop at a block boundary. All three are arranged by rewriting the
// input instead of the decoder:
//  - the window goes first, as one non-final stored block (BTYPE 00): decoding it copies the
//    window bytes to the start of the output, where later back-references find them;
//  - a stored block ends on a byte boundary, so the piece's bits are shifted to start at bit 0
//    of the byte after the window (the piece itself may start at any bit);
//  - an empty final fixed-Huffman block (BFINAL 1, BTYPE 01, end-of-block code 0000000: 10 bits)
//    is written where the piece ends, so the decoder stops exactly there, provided the piece
//    ends on a true block boundary.
// Decoding the result yields the window followed by the piece's own output.
#pragma once

#include <cstddef>
#include <cstdint>

#include "io/gzip_inflate.h"

namespace unetx::io {

// The largest window deflate can refer to (and a stored block can hold: LEN is 16 bits).
inline constexpr size_t kDeflateWindow = 32768;

// Bytes in front of the piece in a spliced stream with a `window_len`-byte window.
inline constexpr size_t splice_header_size(size_t window_len) { return 5 + window_len; }

// A raw deflate stream: `window_len` (<= kDeflateWindow) bytes of `window` as a stored block,
// then bits [begin, end) of in[0, n), then, when `close` is set, an empty final block. Bits of
// [begin, end) past the data read as 0; end > begin.
Bytes splice_deflate(const unsigned char* in, size_t n, uint64_t begin, uint64_t end,
                     const unsigned char* window, size_t window_len, bool close);

}  // namespace unetx::io
