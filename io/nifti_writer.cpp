#include "io/nifti_writer.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string>

#include "io/error.h"
#include "io/gzip_blocks.h"
#include "io/nifti_header.h"

namespace unetx::io {
namespace {

using namespace nifti1;  // field offsets (io/nifti_header.h)
constexpr int kMillimetre = 2, kScannerAnat = 1;

template <typename T>
void put(unsigned char* h, size_t offset, T value) {
  std::memcpy(h + offset, &value, sizeof(T));
}

struct TypeCode {
  int16_t datatype, bitpix;
};

TypeCode type_code(at::ScalarType type, const std::string& name) {
  switch (type) {
    case at::kByte:
      return {2, 8};
    case at::kShort:
      return {4, 16};
    case at::kInt:
      return {8, 32};
    case at::kFloat:
      return {16, 32};
    default:
      throw Error(name, "cannot write NIfTI: unsupported voxel type");
  }
}

// Unit quaternion (b, c, d; a >= 0) of the rotation `r` (row-major), by the case split that keeps
// the divisor large (the formulas of the NIfTI-1 documentation, nifti1.h).
std::array<double, 3> quaternion(const Mat3& r) {
  const auto m = [&](int i, int j) { return r[static_cast<size_t>(3 * i + j)]; };
  double a = m(0, 0) + m(1, 1) + m(2, 2) + 1.0, b, c, d;
  if (a > 0.5) {
    a = 0.5 * std::sqrt(a);
    b = 0.25 * (m(2, 1) - m(1, 2)) / a;
    c = 0.25 * (m(0, 2) - m(2, 0)) / a;
    d = 0.25 * (m(1, 0) - m(0, 1)) / a;
  } else {
    const double xd = 1.0 + m(0, 0) - (m(1, 1) + m(2, 2));
    const double yd = 1.0 + m(1, 1) - (m(0, 0) + m(2, 2));
    const double zd = 1.0 + m(2, 2) - (m(0, 0) + m(1, 1));
    if (xd > 1.0) {
      b = 0.5 * std::sqrt(xd);
      c = 0.25 * (m(0, 1) + m(1, 0)) / b;
      d = 0.25 * (m(0, 2) + m(2, 0)) / b;
      a = 0.25 * (m(2, 1) - m(1, 2)) / b;
    } else if (yd > 1.0) {
      c = 0.5 * std::sqrt(yd);
      b = 0.25 * (m(0, 1) + m(1, 0)) / c;
      d = 0.25 * (m(1, 2) + m(2, 1)) / c;
      a = 0.25 * (m(0, 2) - m(2, 0)) / c;
    } else {
      d = 0.5 * std::sqrt(zd);
      b = 0.25 * (m(0, 2) + m(2, 0)) / d;
      c = 0.25 * (m(1, 2) + m(2, 1)) / d;
      a = 0.25 * (m(1, 0) - m(0, 1)) / d;
    }
    if (a < 0.0) b = -b, c = -c, d = -d;
  }
  return {b, c, d};
}

// The direction in RAS (x and y rows negated), checked to be a rotation up to handedness.
Mat3 ras_rotation(const Geometry& g, const std::string& name) {
  Mat3 r = g.direction;
  for (size_t c = 0; c < 3; ++c) r[c] = -r[c], r[3 + c] = -r[3 + c];
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      double dot = 0;
      for (int k = 0; k < 3; ++k) dot += r[3 * k + i] * r[3 * k + j];
      if (std::abs(dot - (i == j ? 1.0 : 0.0)) > 1e-4) {
        throw Error(name, "cannot write NIfTI: the direction matrix is not a rotation");
      }
    }
  }
  return r;
}

double determinant(const Mat3& m) {
  return m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) +
         m[2] * (m[3] * m[7] - m[4] * m[6]);
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

std::array<unsigned char, 352> nifti1_header(const at::Tensor& data, const Geometry& g,
                                             const std::string& name) {
  std::array<unsigned char, 352> bytes{};
  unsigned char* h = bytes.data();
  const TypeCode code = type_code(data.scalar_type(), name);
  const int64_t channels = data.size(0);
  const int16_t rank = channels > 1 ? 4 : 3;
  const int64_t extent[4] = {data.size(3), data.size(2), data.size(1), channels};
  for (int64_t e : extent) {
    if (e > std::numeric_limits<int16_t>::max()) {
      throw Error(name, "cannot write NIfTI-1: an image axis is longer than 32767 voxels");
    }
  }
  put<int32_t>(h, kSizeofHdr, 348);
  h[kRegular] = 'r';
  put<int16_t>(h, kDim, rank);
  for (int i = 0; i < 4; ++i) put<int16_t>(h, kDim + 2 * (i + 1), static_cast<int16_t>(extent[i]));
  for (int i = rank + 1; i < 8; ++i) put<int16_t>(h, kDim + 2 * i, 1);
  put<int16_t>(h, kDatatype, code.datatype);
  put<int16_t>(h, kBitpix, code.bitpix);

  Mat3 r = ras_rotation(g, name);
  const float qfac = determinant(r) < 0 ? -1.0f : 1.0f;
  put<float>(h, kPixdim, qfac);
  for (int i = 0; i < 3; ++i) put<float>(h, kPixdim + 4 * (i + 1), static_cast<float>(g.spacing[i]));
  if (rank == 4) put<float>(h, kPixdim + 4 * 4, 1.0f);  // the channel axis
  put<float>(h, kVoxOffset, 352.0f);
  put<float>(h, kSclSlope, 1.0f);
  h[kXyztUnits] = kMillimetre;

  const double offset[3] = {-g.origin[0], -g.origin[1], g.origin[2]};
  for (int row = 0; row < 3; ++row) {
    for (int col = 0; col < 3; ++col) {
      const double v = r[static_cast<size_t>(3 * row + col)] * g.spacing[static_cast<size_t>(col)];
      put<float>(h, kSrow + 16 * row + 4 * col, static_cast<float>(v));
    }
    put<float>(h, kSrow + 16 * row + 12, static_cast<float>(offset[row]));
  }
  // The quaternion describes the proper rotation: a left-handed grid flips its z column (qfac).
  if (qfac < 0) r[2] = -r[2], r[5] = -r[5], r[8] = -r[8];
  const std::array<double, 3> q = quaternion(r);
  put<int16_t>(h, kQformCode, kScannerAnat);
  put<int16_t>(h, kSformCode, kScannerAnat);
  for (int i = 0; i < 3; ++i) {
    put<float>(h, kQuatern + 4 * i, static_cast<float>(q[static_cast<size_t>(i)]));
    put<float>(h, kQoffset + 4 * i, static_cast<float>(offset[i]));
  }
  std::memcpy(h + kMagic, "n+1", 4);
  return bytes;
}

void write_nifti(const at::Tensor& data, const Geometry& geometry, const std::filesystem::path& file,
                 bool compress, const std::string& name) {
  const std::array<unsigned char, 352> header = nifti1_header(data, geometry, name);
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(file.c_str(), "wb"));
  if (!f) throw Error(name, std::string("cannot write: ") + std::strerror(errno));
  const auto* voxels = static_cast<const unsigned char*>(data.data_ptr());
  const size_t n = static_cast<size_t>(data.nbytes());
  if (compress) {
    BlockedGzipWriter gz(f.get(), name);
    gz.append(header.data(), header.size());
    gz.append(voxels, n);
    gz.finish();
  } else if (std::fwrite(header.data(), 1, header.size(), f.get()) != header.size() ||
             std::fwrite(voxels, 1, n, f.get()) != n) {
    throw Error(name, std::string("cannot write: ") + std::strerror(errno));
  }
  if (std::fclose(f.release()) != 0) {
    throw Error(name, std::string("cannot write: ") + std::strerror(errno));
  }
}

}  // namespace unetx::io
