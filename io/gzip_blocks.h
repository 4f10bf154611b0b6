// Blocked gzip: a stream of small gzip members, each carrying its own compressed size in the
// header's extra field, in the BGZF layout of samtools/htslib (subfield "BC", at most 64 KiB per
// member, an empty member as end-of-file marker).
//
// Why: one deflate stream can only be decoded from its start, by one thread. A blocked stream is
// still plain gzip (gzip -d, zlib, ITK and nibabel read it unchanged; about 1% larger), but a
// reader can walk the member headers, learn where each member starts and how much it inflates
// to (its ISIZE trailer), and inflate all members at once into their places in one buffer.
// unetx writes its .nii.gz files this way (io/nifti_writer.h) and gunzip (io/gzip_inflate.h)
// decodes such files in parallel; files from other tools take the one-stream path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace unetx::io {

// Input bytes per member: BGZF's choice, so a member that does not compress still fits 64 KiB.
inline constexpr size_t kGzipBlockInput = 65280;

// Appends blocked gzip members to an open file. Blocks are compressed in parallel on the ATen
// intra-op threads, a batch at a time (memory stays a few MB whatever the input size).
class BlockedGzipWriter {
 public:
  // `level`: libdeflate level 1..12 (6: about zlib -6's size, several times faster).
  // `name` labels errors (the final file name, not the temporary).
  BlockedGzipWriter(std::FILE* file, std::string name, int level = 6);

  // Compresses `n` bytes as ceil(n / kGzipBlockInput) members. Every call starts a new member,
  // so a small header written first is its own member. Throws unetx::Error on a write error.
  void append(const unsigned char* data, size_t n);
  // Writes the end-of-file marker. Throws unetx::Error on a write error.
  void finish();

 private:
  std::FILE* file_;
  std::string name_;
  int level_;
};

// One member of a blocked stream: where it starts, its size, and where its bytes go in the output.
struct GzipBlock {
  size_t in_offset = 0;
  size_t in_size = 0;
  size_t out_offset = 0;
  uint32_t out_size = 0;
};

// Walks the member headers of `in`. Returns the members when every member from the start to the
// end of the data carries a BGZF size ("BC" extra subfield) and they tile the input exactly;
// nullopt otherwise (an ordinary gzip file, or a blocked file that was cut short: the caller's
// sequential path then reports it as truncated).
std::optional<std::vector<GzipBlock>> index_gzip_blocks(const unsigned char* in, size_t n);

}  // namespace unetx::io
