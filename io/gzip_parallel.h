// Inflating ONE gzip member (as ITK, nibabel and gzip(1) write .nii.gz) on several threads.
//
// A deflate stream can only be decoded from its start, because back-references reach up to
// 32 KiB into output that came before. The member is cut into chunks at block boundaries found
// by io/deflate_scan.h, and every chunk is inflated at once by libdeflate (io/deflate_splice.h
// turns a chunk into a stream libdeflate accepts), chunks after the first with a made-up window
// in which byte j reads j mod 256. Only output that copies (directly or through earlier copies)
// from that window is then wrong. To find it, the start of the chunk is decoded a second time,
// a run of blocks at a time, with a second made-up window whose byte j differs from the first's
// and also encodes j / 256: a window-dependent byte comes out different in the two decodes,
// every other byte the same, and the two values name the window byte it copies. Once the last
// 32 KiB of a run agree, nothing later can reach the window. When the previous chunk is done,
// its last 32 KiB are the true window, and each dependent byte of the prefix is set from it,
// in parallel, without decoding again. The CRC32 and length in the gzip trailer check the result.
//
// When dependence lasts past half a chunk (text, highly repetitive data), that chunk is decoded
// once more with its true window instead, after the chunks before it: slower, still exact.
// Heuristics only decide speed, never the result: a chunk start that is not a true block
// boundary, a decoder error or a CRC mismatch all make the caller decode the member serially
// instead (gunzip in io/gzip_inflate.h does).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "io/gzip_inflate.h"

namespace unetx::io {

struct ParallelGunzipOptions {
  // Chunks to cut the member into; 0: one per ATen intra-op thread (at::get_num_threads()).
  int chunks = 0;
  // Compressed bytes per chunk at least; a smaller member gets fewer chunks (or none: serial).
  size_t min_chunk_bytes = size_t{2} << 20;
  // Compressed bytes per run of the second decode of a chunk's prefix (runs end on block
  // boundaries; the prefix ends with the first run whose last 32 KiB agree with the main decode).
  size_t step_bytes = size_t{256} << 10;
  // Compressed bytes the first chunk gets more than each later one, which also decodes its
  // prefix twice (in CT-like data window dependence lasts a few MB of output); at most a
  // quarter of a chunk.
  size_t lead_bytes = size_t{3} << 19;  // 1.5 MiB
};

// What a successful parallel decode did (for tests and benchmarks).
struct ParallelGunzipStats {
  int chunks = 0;        // chunks decoded at once
  int redone = 0;        // chunks decoded a second time with their true window (long dependence)
  uint64_t patched = 0;  // output bytes set from a true window after the decode
};

// The whole output of the single gzip member that makes up in[0, n), decoded in parallel and
// checked against its trailer (CRC32 and ISIZE); `size_hint` as for gunzip(). nullopt when the
// member is too small to split, when the data is not exactly one member (several members,
// trailing bytes), or on any doubt or error (bad data included): then decode serially, which
// also produces the right error message. `stats`, when given, is filled on success. Never
// throws unetx::Error (std::bad_alloc may escape).
std::optional<Bytes> gunzip_parallel(const unsigned char* in, size_t n, uint64_t size_hint,
                                     const ParallelGunzipOptions& options = {},
                                     ParallelGunzipStats* stats = nullptr);

// Bytes of the gzip member header at the start of in[0, n) (where the deflate data starts), or 0
// when it is not a complete gzip header with known flags.
size_t gzip_header_size(const unsigned char* in, size_t n);

}  // namespace unetx::io
