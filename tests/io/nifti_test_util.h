// Helpers for NIfTI tests: whole-file bytes, header patches and gzip writing, so a test can
// make exactly the broken or unusual file it needs from one unetx wrote.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "io/volume.h"

namespace unetx::test {

inline std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline void spit(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// Overwrites a little-endian value of type T at byte `offset` (files unetx writes are native).
template <typename T>
void patch(std::string& bytes, size_t offset, T value) {
  std::memcpy(&bytes[offset], &value, sizeof(T));
}

// gzip-compresses `bytes` into `path` as one member.
inline void write_gzip(const std::filesystem::path& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  gzclose(f);
}

// True when both tensors have the same dtype, shape and bytes (NaN payloads included), which is
// what "bit-identical" means for two readers.
inline bool same_bits(const at::Tensor& a, const at::Tensor& b) {
  if (a.scalar_type() != b.scalar_type() || a.sizes() != b.sizes()) return false;
  const at::Tensor ca = a.contiguous(), cb = b.contiguous();
  return std::memcmp(ca.data_ptr(), cb.data_ptr(), ca.nbytes()) == 0;
}

// The fast reader's contract against ITK: bit-identical, except that a non-finite float voxel
// it keeps is 0 in ITK's result (niftilib zeroes NaN/Inf).
inline bool same_bits_but_nonfinite(const at::Tensor& fast, const at::Tensor& itk) {
  if (!fast.is_floating_point() || !fast.isfinite().all().item<bool>()) {
    if (fast.scalar_type() != itk.scalar_type() || fast.sizes() != itk.sizes()) return false;
    const at::Tensor bad = ~fast.isfinite();
    if (!itk.masked_select(bad).eq(0).all().item<bool>()) return false;
    return same_bits(fast.masked_fill(bad, 0), itk);
  }
  return same_bits(fast, itk);
}

}  // namespace unetx::test
