// Proves that a single gzip member (as zlib, ITK and gzip(1) write it) inflated in parallel
// chunks comes out byte for byte equal to what was compressed, with 1, 2 and 4 threads, for
// stored, CT-like, highly repetitive and text-like data at zlib levels 1, 6 and 9; that the
// parallel path really ran where it should (CT-like and text data); that the block-header
// scanner finds the block starts zlib's own inflate reports and nothing else; and that cut or
// damaged files still fail with the same errors as before.
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "io/deflate_scan.h"
#include "io/deflate_splice.h"
#include "io/error.h"
#include "io/gzip_inflate.h"
#include "io/gzip_parallel.h"
#include "thread_count.h"

namespace unetx::io {
namespace {

using Buffer = std::vector<unsigned char>;

// One gzip member made by zlib's own deflate (not by unetx's writer).
Buffer zlib_gzip(const Buffer& data, int level) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  Buffer out(deflateBound(&z, data.size()));
  z.next_in = const_cast<unsigned char*>(data.data());
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

Buffer random_bytes(size_t n) {
  std::mt19937 rng(11);
  Buffer b(n);
  for (auto& x : b) x = static_cast<unsigned char>(rng());
  return b;
}

// bench_io's CT phantom in small: air, a textured body, a dense core, scanner noise (int16).
Buffer ct_phantom(int64_t n) {
  const at::Tensor axis = at::linspace(-1.0, 1.0, n, at::kFloat);
  const at::Tensor z = axis.view({n, 1, 1}), y = axis.view({1, n, 1}), x = axis.view({1, 1, n});
  const at::Tensor r2 = x * x / 0.8 + y * y / 0.6 + z * z / 0.9;
  at::Tensor hu = at::full({n, n, n}, -1000.0f);
  hu = at::where(r2 < 1.0, 40.0f + 30.0f * at::sin(x * 23.0f) * at::cos(y * 17.0f), hu);
  hu = at::where(r2 < 0.15, at::full_like(hu, 700.0f), hu);
  at::manual_seed(7);
  hu = (hu + at::randn({n, n, n}) * 12.0f).round().to(at::kShort).contiguous();
  const auto* p = static_cast<const unsigned char*>(hu.data_ptr());
  return Buffer(p, p + hu.nbytes());
}

// A 3000-byte random motif repeated, with one byte in 50000 changed: nearly every byte is a
// copy of a copy, so back-reference chains cross every chunk boundary.
Buffer repetitive(size_t n) {
  const Buffer motif = random_bytes(3000);
  Buffer b(n);
  std::mt19937 rng(5);
  for (size_t i = 0; i < n; ++i) b[i] = motif[i % motif.size()];
  for (size_t i = 0; i < n; i += 50000) b[i] = static_cast<unsigned char>(rng());
  return b;
}

// Scanner-like noise alone: int16 samples of a wide Gaussian. Few matches, so window dependence
// dies out within a few hundred KB and no chunk needs decoding twice.
Buffer noise16(size_t count) {
  std::mt19937 rng(9);
  std::normal_distribution<float> g(0.0f, 3000.0f);
  Buffer b(count * 2);
  for (size_t i = 0; i < count; ++i) {
    const auto v = static_cast<int16_t>(g(rng));
    std::memcpy(b.data() + 2 * i, &v, 2);
  }
  return b;
}

// Words drawn from a small vocabulary with a skewed frequency, in lines: like a log or CSV.
Buffer text_like(size_t n) {
  static const char* kWords[] = {"the",   "patient", "scan",  "slice", "voxel",   "label",
                                 "liver", "spleen",  "tumor", "mean",  "spacing", "0.8",
                                 "1.25",  "origin",  "left",  "right", "cohort",  "case"};
  std::mt19937 rng(3);
  std::geometric_distribution<int> pick(0.25);
  std::string s;
  while (s.size() < n) {
    s += kWords[std::min<int>(pick(rng), 17)];
    s += (rng() % 11 == 0) ? '\n' : ' ';
    if (rng() % 7 == 0) s += std::to_string(rng() % 100000);
  }
  return Buffer(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(n));
}

// Small chunks, so payloads of a few MB split into several.
ParallelGunzipOptions small_chunks() {
  ParallelGunzipOptions o;
  o.min_chunk_bytes = 16 << 10;
  o.step_bytes = 16 << 10;
  o.lead_bytes = 0;
  return o;
}

using test::ThreadCount;

// How a payload must go with 2 and 4 threads: declined (nullopt: random bytes are stored
// blocks, no dynamic block header to cut at), every chunk patched after a short prefix, some
// chunks decoded again (dependence on the window lasts longer than half a chunk), or either
// (the repetitive payload has few, huge blocks: whether one lies near a planned chunk start
// depends on the level).
enum class Path { Declined, Patched, SomeRedone, Any };

struct Payload {
  const char* name;
  Buffer data;
  Path path;
};

std::vector<Payload> payloads() {
  std::vector<Payload> p;
  p.push_back({"random", random_bytes(size_t{3} << 20), Path::Declined});
  p.push_back({"noise", noise16(size_t{3} << 19), Path::Patched});
  p.push_back({"ct_phantom", ct_phantom(112), Path::SomeRedone});
  p.push_back({"repetitive", repetitive(size_t{4} << 20), Path::Any});
  p.push_back({"text", text_like(size_t{3} << 20), Path::SomeRedone});
  return p;
}

// The parallel path, falling back to gunzip() as gunzip() itself does, must give the input.
TEST(GzipParallel, RoundTripsZlibStreamsWithOneTwoAndFourThreads) {
  ThreadCount restore;
  for (const Payload& p : payloads()) {
    for (const int level : {1, 6, 9}) {
      const Buffer gz = zlib_gzip(p.data, level);
      for (const int threads : {1, 2, 4}) {
        SCOPED_TRACE(std::string(p.name) + " level " + std::to_string(level) + " threads " +
                     std::to_string(threads));
        at::set_num_threads(threads);
        ParallelGunzipStats stats;
        std::optional<Bytes> got = gunzip_parallel(gz.data(), gz.size(), 0, small_chunks(), &stats);
        if (threads == 1 || p.path == Path::Declined) {
          EXPECT_FALSE(got.has_value());
        } else if (p.path != Path::Any) {
          EXPECT_TRUE(got.has_value());
          EXPECT_EQ(stats.chunks, threads);
          EXPECT_EQ(stats.redone > 0, p.path == Path::SomeRedone);
          // The noise still copies from the window now and then: patching really happened.
          if (p.path == Path::Patched) {
            EXPECT_GT(stats.patched, 0u);
          }
        }
        const Bytes whole = got ? std::move(*got) : gunzip(gz.data(), gz.size(), "x.gz");
        ASSERT_EQ(whole.size, p.data.size());
        EXPECT_EQ(std::memcmp(whole.begin(), p.data.data(), p.data.size()), 0);
      }
    }
  }
}

// The 192^3 phantom (14 MB) and its zlib -6 member, made once for the tests that need a member
// over gunzip()'s 4 MB threshold.
const std::pair<Buffer, Buffer>& big_phantom() {
  static const std::pair<Buffer, Buffer> both = [] {
    Buffer data = ct_phantom(192);
    Buffer gz = zlib_gzip(data, 6);
    return std::make_pair(std::move(data), std::move(gz));
  }();
  return both;
}

// gunzip() itself takes the parallel path for a member over its 4 MB threshold (2 threads).
TEST(GzipParallel, GunzipSplitsALargeMemberAndKeepsItsContract) {
  ThreadCount restore;
  at::set_num_threads(2);
  const auto& [data, gz] = big_phantom();  // 14 MB of int16, about 7 MB compressed
  ParallelGunzipStats stats;
  ASSERT_TRUE(gunzip_parallel(gz.data(), gz.size(), 0, {}, &stats).has_value());
  EXPECT_EQ(stats.chunks, 2);
  EXPECT_EQ(stats.redone, 0);  // window dependence ends about 3 MB into the 6 MB second chunk
  EXPECT_GT(stats.patched, 0u);
  for (const uint64_t hint : {uint64_t{0}, uint64_t{data.size()}}) {
    const Bytes whole = gunzip(gz.data(), gz.size(), "big.gz", hint);
    ASSERT_EQ(whole.size, data.size());
    EXPECT_EQ(std::memcmp(whole.begin(), data.data(), data.size()), 0);
  }
}

// Bit positions where zlib's inflate finds a block header, from the start of the gzip data.
std::vector<uint64_t> zlib_block_starts(const Buffer& gz) {
  z_stream z{};
  EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
  Buffer out(1 << 16);
  z.next_in = const_cast<unsigned char*>(gz.data());
  z.avail_in = static_cast<uInt>(gz.size());
  std::vector<uint64_t> starts;
  for (int rc = Z_OK; rc == Z_OK;) {
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    rc = inflate(&z, Z_BLOCK);
    // Bit 7 of data_type: stopped at a block boundary (or right after the gzip header); its
    // low 3 bits: unused bits of the last byte read.
    if ((z.data_type & 128) && !(z.data_type & 64) && rc == Z_OK) {
      starts.push_back(uint64_t{z.total_in} * 8 - static_cast<uint64_t>(z.data_type & 7));
    }
  }
  inflateEnd(&z);
  return starts;
}

TEST(DeflateScan, FindsExactlyTheBlockStartsZlibReports) {
  const Buffer gz = zlib_gzip(ct_phantom(96), 6);
  const std::vector<uint64_t> starts = zlib_block_starts(gz);
  std::set<uint64_t> dynamic;
  for (const uint64_t s : starts) {
    const unsigned bits = (gz[s / 8] | (gz[s / 8 + 1] << 8)) >> (s % 8);
    if ((bits & 7) == 4) dynamic.insert(s);  // non-final (bit 0 = 0), BTYPE 10b
  }
  ASSERT_GE(dynamic.size(), 10u);
  for (const uint64_t s : dynamic) EXPECT_TRUE(is_dynamic_block_header(gz.data(), gz.size(), s));
  // A scan over every bit of the stream stops at each true start and at nothing else.
  std::vector<uint64_t> found;
  const uint64_t end = uint64_t{gz.size()} * 8;
  for (uint64_t p = find_dynamic_block(gz.data(), gz.size(), 0, end); p < end;
       p = find_dynamic_block(gz.data(), gz.size(), p + 1, end)) {
    found.push_back(p);
  }
  EXPECT_EQ(found, std::vector<uint64_t>(dynamic.begin(), dynamic.end()));
}

TEST(DeflateScan, RejectsRandomBits) {
  const Buffer noise = random_bytes(1 << 20);
  const uint64_t end = uint64_t{noise.size()} * 8;
  // 8 million candidate positions in uniformly random bits: none passes the full header test.
  EXPECT_EQ(find_dynamic_block(noise.data(), noise.size(), 0, end), end);
}

// A spliced piece (window as a stored block, shifted bits, closing empty block) decodes with
// zlib's raw inflate to the window followed by the piece's own output.
TEST(DeflateSplice, PieceDecodesToWindowThenItsOutput) {
  const Buffer data = text_like(size_t{2} << 20);
  const Buffer gz = zlib_gzip(data, 6);
  const std::vector<uint64_t> starts = zlib_block_starts(gz);
  ASSERT_GE(starts.size(), 3u);
  // The first block of the member (at the end of the gzip header) up to the second's start.
  const Buffer window(kDeflateWindow, 0x5a);
  const Bytes piece = splice_deflate(gz.data(), gz.size(), starts[0], starts[1], window.data(),
                                     window.size(), true);
  z_stream z{};
  ASSERT_EQ(inflateInit2(&z, -15), Z_OK);
  Buffer out(data.size() + window.size());
  z.next_in = const_cast<unsigned char*>(piece.begin());
  z.avail_in = static_cast<uInt>(piece.size);
  z.next_out = out.data();
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(inflate(&z, Z_FINISH), Z_STREAM_END);
  const size_t produced = z.total_out;
  EXPECT_EQ(z.avail_in, 0u);
  inflateEnd(&z);
  ASSERT_GT(produced, window.size());
  EXPECT_EQ(std::memcmp(out.data(), window.data(), window.size()), 0);
  EXPECT_EQ(std::memcmp(out.data() + window.size(), data.data(), produced - window.size()), 0);
}

std::string gunzip_error(const Buffer& gz) {
  try {
    gunzip(gz.data(), gz.size(), "case.nii.gz");
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

// Cut and damaged members give the serial path's messages (1 thread: the parallel path is off),
// though with 2 threads the parallel path sees them first.
TEST(GzipParallel, TruncatedAndCorruptMembersKeepTheirErrors) {
  ThreadCount restore;
  const Buffer& gz = big_phantom().second;
  Buffer cut(gz.begin(), gz.begin() + static_cast<std::ptrdiff_t>(gz.size() * 3 / 4));
  Buffer flipped = gz;
  flipped[gz.size() * 3 / 4] ^= 0x10;  // inside the second chunk's data
  Buffer bad_crc = gz;
  bad_crc[gz.size() - 6] ^= 0x01;  // the stored CRC32
  for (const Buffer* bad : {&cut, &flipped, &bad_crc}) {
    at::set_num_threads(1);
    const std::string serial = gunzip_error(*bad);
    at::set_num_threads(2);
    EXPECT_EQ(gunzip_error(*bad), serial);
    EXPECT_EQ(serial.rfind("case.nii.gz: ", 0), 0u) << serial;
  }
  at::set_num_threads(1);
  EXPECT_EQ(gunzip_error(cut), "case.nii.gz: truncated gzip stream");
  EXPECT_EQ(gunzip_error(flipped).rfind("case.nii.gz: corrupt gzip stream (", 0), 0u);
  EXPECT_EQ(gunzip_error(bad_crc), "case.nii.gz: corrupt gzip stream (incorrect data check)");
}

}  // namespace
}  // namespace unetx::io
