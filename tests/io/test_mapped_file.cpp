// Mapped reads of uncompressed NIfTI: the same bytes and voxels as a plain read, and a mapping
// that neither writes through to the file nor follows a file replaced under it. Scratch
// mappings: zero bytes that keep what is written, and no file left behind.
#include "io/mapped_file.h"

#include <gtest/gtest.h>

#include <cstring>

#include "io/error.h"
#include "io/image_io.h"
#include "temp_dir.h"

namespace unetx::io {
namespace {

TEST(MappedFile, HoldsTheFilesBytes) {
  test::TempDir dir;
  const auto p = dir.path() / "a.bin";
  test::write_file(p, "voxels in place");
  const Bytes mapped = map_file_bytes(p);
  const Bytes read = read_file_bytes(p);
  ASSERT_EQ(mapped.size, 15u);
  ASSERT_EQ(read.size, 15u);
  EXPECT_EQ(std::memcmp(mapped.begin(), read.begin(), 15), 0);
  test::write_file(dir.path() / "empty.bin", "");
  EXPECT_EQ(map_file_bytes(dir.path() / "empty.bin").size, 0u);
  try {
    map_file_bytes(dir.path() / "missing.bin");
    FAIL() << "a missing file must throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing.bin"), std::string::npos);
  }
}

TEST(MappedFile, WritesStayPrivateAndAReplacedFileLeavesTheMappingAlone) {
  test::TempDir dir;
  const auto p = dir.path() / "a.bin";
  test::write_file(p, "original");
  Bytes mapped = map_file_bytes(p);
  mapped.data[0] = 'X';
  EXPECT_EQ(read_file_bytes(p).begin()[0], 'o');  // the file is unchanged
  // An atomic replace (new file, rename over the old name), as every unetx writer does.
  test::write_file(dir.path() / "a.tmp", "replaced");
  std::filesystem::rename(dir.path() / "a.tmp", p);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(mapped.begin()) + 1, 7), "riginal");
}

TEST(MappedFile, UncompressedNiftiReadsTheWrittenVoxelsAndInPlaceEditsStayInMemory) {
  test::TempDir dir;
  const auto p = dir.path() / "case.nii";
  Volume v;
  v.data = at::arange(2 * 3 * 4 * 5, at::kFloat).view({2, 3, 4, 5}) * 0.5f;
  v.geometry.spacing = {0.5, 0.75, 2.0};
  write_image(v, p);
  Volume back = read_image(p);
  ASSERT_TRUE(back.data.equal(v.data));
  back.data.add_(1.0f);  // borrows the mapped voxels: copy-on-write
  EXPECT_TRUE(read_image(p).data.equal(v.data));
  EXPECT_TRUE(back.data.equal(v.data + 1.0f));
}

TEST(MappedFile, ScratchBytesStartZeroKeepWritesAndLeaveNoFile) {
  test::TempDir dir;
  const size_t n = 3 * 1024 * 1024 + 5;  // several pages, not a whole number of them
  Bytes scratch = map_scratch_bytes(n, dir.path());
  ASSERT_EQ(scratch.size, n);
  size_t nonzero = 0;
  for (size_t i = 0; i < n; ++i) nonzero += scratch.data[i] != 0;
  EXPECT_EQ(nonzero, 0u);
  for (size_t i = 0; i < n; i += 4093) scratch.data[i] = static_cast<unsigned char>(i % 251 + 1);
  for (size_t i = 0; i < n; i += 4093)
    ASSERT_EQ(scratch.data[i], static_cast<unsigned char>(i % 251 + 1)) << i;
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));  // the file never had a name there
  try {
    map_scratch_bytes(16, dir.path() / "missing-folder");
    FAIL() << "a missing folder must throw";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("missing-folder"), std::string::npos);
  }
}

}  // namespace
}  // namespace unetx::io
