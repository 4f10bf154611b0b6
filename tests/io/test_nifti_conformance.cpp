// NIfTI files unetx did not write (nibabel's test data, fetched by scripts/fetch_test_data.sh,
// plus small big-endian, scaled, NIfTI-2 and .hdr/.img files made by nibabel) read to the values
// nibabel reads, checked against tests/data/conformance/nibabel_fixture.json
// (scripts/conformance/make_nibabel_fixture.py); NIfTI-1 files also bit-identical to ITK.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "io/error.h"
#include "io/gzip_inflate.h"
#include "io/image_io.h"
#include "io/image_check.h"
#include "io/nifti_check.h"
#include "io/nifti_geometry.h"
#include "io/nifti_header.h"
#include "io/nifti_reader.h"
#include "nifti_test_util.h"
#include "read_error_expectation.h"

namespace unetx::io {
namespace {

using nlohmann::json;

const fs::path kData = UNETX_TEST_DATA;

json load_fixture() {
  std::ifstream in(kData / "conformance" / "nibabel_fixture.json");
  EXPECT_TRUE(in) << "tests/data/conformance/nibabel_fixture.json is missing";
  return in ? json::parse(in) : json();
}

// The fixture's external files come from a Debian package at test-data fetch time.
bool require_external(const fs::path& file) {
  if (fs::exists(file)) return true;
  ADD_FAILURE() << file << " is missing: run scripts/fetch_test_data.sh (needs apt-get download)";
  return false;
}

NiftiHeader header_of(const fs::path& file) {
  Bytes bytes = read_file_bytes(file);
  unsigned char head[540] = {};
  size_t n = std::min(bytes.size, sizeof head);
  if (is_gzip(bytes.begin(), bytes.size)) {
    n = gunzip_prefix(bytes.begin(), bytes.size, head, sizeof head);
  } else {
    std::memcpy(head, bytes.begin(), n);
  }
  const std::optional<NiftiHeader> h = parse_nifti_header(head, n);
  EXPECT_TRUE(h.has_value()) << file;
  return h.value_or(NiftiHeader{});
}

double rel_tol(double expected, double rel) { return std::max(1e-9, std::abs(expected) * rel); }

void expect_matches_entry(const Volume& v, const json& e) {
  const std::string file = e["file"];
  // Shape: nibabel (x, y, z[, t]) vs unetx (C=t, Z, Y, X).
  std::vector<int64_t> shape = e["shape"].get<std::vector<int64_t>>();
  shape.resize(4, 1);
  EXPECT_EQ(v.data.sizes(), (std::vector<int64_t>{shape[3], shape[2], shape[1], shape[0]})) << file;
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(v.geometry.spacing[i], e["spacing"][i].get<double>(), 1e-5) << file << " sp" << i;
    EXPECT_NEAR(v.geometry.origin[i], e["origin"][i].get<double>(), 1e-4) << file << " or" << i;
  }
  for (int i = 0; i < 9; ++i) {
    EXPECT_NEAR(v.geometry.direction[i], e["direction"][i].get<double>(), 1e-5)
        << file << " dir" << i;
  }
  const json& c = e["checksum"];
  const at::Tensor d = v.data.to(at::kDouble);
  const at::Tensor finite = d.masked_select(d.isfinite());
  EXPECT_EQ(d.isnan().sum().item<int64_t>(), c["nan_count"].get<int64_t>()) << file;
  EXPECT_EQ(d.isinf().sum().item<int64_t>(), c["inf_count"].get<int64_t>()) << file;
  // float32 results of a scaling differ from nibabel's float64 by half an ulp per voxel.
  const double sum = c["sum"], sum_sq = c["sum_squares"];
  EXPECT_NEAR(finite.sum().item<double>(), sum, rel_tol(sum, 1e-6)) << file;
  EXPECT_NEAR(finite.pow(2).sum().item<double>(), sum_sq, rel_tol(sum_sq, 1e-6)) << file;
  EXPECT_NEAR(finite.min().item<double>(), c["min"].get<double>(), rel_tol(c["min"], 1e-6));
  EXPECT_NEAR(finite.max().item<double>(), c["max"].get<double>(), rel_tol(c["max"], 1e-6));
  for (const json& p : c["voxels"]) {
    const double got =
        d[p[3].get<int64_t>()][p[2].get<int64_t>()][p[1].get<int64_t>()][p[0].get<int64_t>()]
            .item<double>();
    if (p[4].is_null()) {
      EXPECT_FALSE(std::isfinite(got)) << file << " voxel " << p.dump();
    } else {
      EXPECT_NEAR(got, p[4].get<double>(), rel_tol(p[4], 1e-6)) << file << " voxel " << p.dump();
    }
  }
}

TEST(NiftiConformance, EveryFixtureFileReadsAsNibabelReadsIt) {
  const json fixture = load_fixture();
  ASSERT_TRUE(fixture.contains("files"));
  ASSERT_GE(fixture["files"].size(), 11u);
  for (const json& e : fixture["files"]) {
    const fs::path file = kData / e["file"].get<std::string>();
    if (!require_external(file)) continue;
    SCOPED_TRACE(file.string());
    const Volume v = read_image(file);
    expect_matches_entry(v, e);
    const bool scaled = e["scl_slope"] != 1.0 || e["scl_inter"] != 0.0;
    if (scaled) {
      // unetx's explicit rule (nifti_reader.h): scaled integers are float32 with the scaling
      // recorded.
      EXPECT_EQ(v.data.scalar_type(), at::kFloat);
      EXPECT_EQ(v.meta.at("pixel_type"), "float32");
      EXPECT_NEAR(std::stod(v.meta.at("scl_slope")), e["scl_slope"].get<double>(), 1e-7);
      EXPECT_NEAR(std::stod(v.meta.at("scl_inter")), e["scl_inter"].get<double>(), 1e-4);
    } else {
      EXPECT_EQ(v.meta.count("scl_slope"), 0u);
    }
  }
}

TEST(NiftiConformance, AffineChoiceMatchesItkRuleInFixture) {
  const json fixture = load_fixture();
  ASSERT_TRUE(fixture.contains("files"));
  int qform_cases = 0, differing = 0;
  for (const json& e : fixture["files"]) {
    const fs::path file = kData / e["file"].get<std::string>();
    if (!require_external(file)) continue;
    const NiftiHeader h = header_of(file);
    EXPECT_EQ(to_string(nifti_transform_choice(h, file.string())), e["transform"]) << file;
    qform_cases += e["transform"] == "qform";
    differing += e["file"] == "external/nibabel/example4d.nii.gz";
    // The header-only geometry (what NIfTI-2 uses) equals the fixture on every file.
    const Geometry g = nifti_geometry(h, file.string());
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(g.origin[i], e["origin"][i].get<double>(), 1e-4);
    for (int i = 0; i < 9; ++i) {
      EXPECT_NEAR(g.direction[i], e["direction"][i].get<double>(), 1e-5) << file;
    }
  }
  EXPECT_EQ(qform_cases, 1) << "qform_sform_differ.nii.gz must keep its qform";
  EXPECT_EQ(differing, 1) << "example4d.nii.gz (qform != sform, both code 1) must be covered";
}

TEST(NiftiConformance, FastReaderIsBitIdenticalToItkOnEveryNifti1File) {
  const json fixture = load_fixture();
  ASSERT_TRUE(fixture.contains("files"));
  int compared = 0;
  for (const json& e : fixture["files"]) {
    const fs::path file = kData / e["file"].get<std::string>();
    if (!require_external(file)) continue;
    if (e["nifti_version"] != 1) {
      // ITK 5.2 has no NIfTI-2 reader: the fast path is the only one.
      EXPECT_THROW(read_image_itk(file), Error) << file;
      continue;
    }
    const bool pair = file.extension() == ".hdr";  // .hdr/.img pairs are ITK's alone
    const std::optional<Volume> decoded = read_nifti_fast(file);
    ASSERT_EQ(decoded.has_value(), !pair) << file;
    const Volume fast = pair ? read_image(file) : *decoded;
    const Volume itk = read_image_itk(file);
    EXPECT_TRUE(test::same_bits_but_nonfinite(fast.data, itk.data)) << file;
    EXPECT_TRUE(fast.geometry.same_as(itk.geometry, 0.0)) << file;
    EXPECT_EQ(fast.meta, itk.meta) << file;
    ++compared;
  }
  EXPECT_EQ(compared, 9);
}

TEST(NiftiConformance, NanVoxelsInExternalFileAreReportedNotHidden) {
  const fs::path file = kData / "external/nibabel/resampled_anat_moved.nii";
  if (!require_external(file)) return;
  const Volume v = read_image(file);
  EXPECT_EQ(find_bad_voxels(v), std::optional<std::string>("153 NaN voxels"));
  // ITK's reader (niftilib) turns the same voxels into zeros, which nothing could detect.
  EXPECT_EQ(find_bad_voxels(read_image_itk(file)), std::nullopt);
}

// A NIfTI-2 .hdr/.img pair made from nibabel's single-file NIfTI-2 (big endian, float64, 4-D):
// magic "ni2", vox_offset 0, the voxels in the .img (plain or gzip). ITK 5.2 reads neither.
TEST(NiftiConformance, Nifti2PairReadsAsItsSingleFileTwin) {
  const fs::path single = kData / "conformance" / "nifti2_be_f64_4d.nii";
  const std::string bytes = test::slurp(single);
  const NiftiHeader h = *read_nifti_header_file(single);
  ASSERT_EQ(h.version, 2);
  std::string header = bytes.substr(0, 540);
  header.replace(4, 4, std::string("ni2\0", 4));
  header.replace(168, 8, std::string(8, '\0'));  // vox_offset 0 (zero in either byte order)
  const std::string voxels = bytes.substr(static_cast<size_t>(h.vox_offset));
  const fs::path dir = fs::temp_directory_path() / ("unetx-nifti2-pair-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  test::spit(dir / "plain.hdr", header);
  test::spit(dir / "plain.img", voxels);
  test::spit(dir / "zipped.hdr", header);
  test::write_gzip(dir / "zipped.img.gz", voxels);
  test::spit(dir / "orphan.hdr", header);

  const Volume expected = read_image(single);
  for (const char* name : {"plain.hdr", "zipped.hdr"}) {
    const Volume pair = read_image(dir / name);
    EXPECT_TRUE(test::same_bits(pair.data, expected.data)) << name;
    EXPECT_TRUE(pair.geometry.same_as(expected.geometry, 0.0)) << name;
  }
  expect_read_error(dir / "orphan.hdr", ".img file of this NIfTI-2 header is missing");
  fs::remove_all(dir);
}

}  // namespace
}  // namespace unetx::io
