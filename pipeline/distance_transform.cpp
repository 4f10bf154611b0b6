#include "pipeline/distance_transform.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <limits>
#include <vector>

#include "io/error.h"

namespace unetx::pipeline {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Squared distance transform of one line: d[p] = min_q ((p - q) * step)^2 + f[q]. The lower
// envelope of the parabolas rooted at the finite samples is built left to right (v: roots,
// z: where each root's parabola starts to be the lowest), then read off at every p.
struct LineTransform {
  std::vector<int64_t> v;
  std::vector<double> z;

  explicit LineTransform(int64_t n) : v(n), z(n + 1) {}

  void operator()(const double* f, double* d, int64_t n, double step) {
    int64_t k = -1;
    for (int64_t q = 0; q < n; ++q) {
      if (f[q] == kInf) continue;
      const double xq = q * step;
      double start = -kInf;
      while (k >= 0) {
        const double xv = v[k] * step;
        start = ((f[q] + xq * xq) - (f[v[k]] + xv * xv)) / (2.0 * (xq - xv));
        if (start > z[k]) break;
        --k;  // the parabola at v[k] is nowhere the lowest any more
      }
      if (k < 0) start = -kInf;
      ++k;
      v[k] = q;
      z[k] = start;
      z[k + 1] = kInf;
    }
    if (k < 0) {
      for (int64_t p = 0; p < n; ++p) d[p] = kInf;
      return;
    }
    int64_t j = 0;
    for (int64_t p = 0; p < n; ++p) {
      const double xp = p * step;
      while (z[j + 1] < xp) ++j;
      const double dx = xp - v[j] * step;
      d[p] = dx * dx + f[v[j]];
    }
  }
};

// Runs the line transform along one axis of a contiguous (Z, Y, X) buffer in place.
void transform_axis(double* data, const std::array<int64_t, 3>& shape_zyx, int axis, double step) {
  const int64_t n = shape_zyx[axis];
  if (n == 1) return;
  const std::array<int64_t, 3> stride{shape_zyx[1] * shape_zyx[2], shape_zyx[2], 1};
  const int64_t total = shape_zyx[0] * shape_zyx[1] * shape_zyx[2];
  const int64_t lines = total / n;
  // The two axes other than `axis`, outer first, enumerate the lines.
  const int a = axis == 0 ? 1 : 0;
  const int b = axis == 2 ? 1 : 2;
  at::parallel_for(0, lines, 64, [&](int64_t begin, int64_t end) {
    LineTransform envelope(n);
    std::vector<double> in(n), out(n);
    for (int64_t line = begin; line < end; ++line) {
      const int64_t ia = line / shape_zyx[b];
      const int64_t ib = line % shape_zyx[b];
      double* base = data + ia * stride[a] + ib * stride[b];
      for (int64_t i = 0; i < n; ++i) in[i] = base[i * stride[axis]];
      envelope(in.data(), out.data(), n, step);
      for (int64_t i = 0; i < n; ++i) base[i * stride[axis]] = out[i];
    }
  });
}

}  // namespace

at::Tensor distance_transform(const at::Tensor& sites, const std::array<double, 3>& spacing) {
  if (!sites.defined() || sites.dim() != 3) {
    throw Error("", "distance transform: sites must be a (Z, Y, X) tensor");
  }
  at::Tensor d = at::where(sites.ne(0), at::zeros({}, at::kDouble), at::full({}, kInf, at::kDouble))
                     .contiguous();
  const std::array<int64_t, 3> shape{d.size(0), d.size(1), d.size(2)};
  double* data = d.data_ptr<double>();
  // Axis 2 is x (spacing[0]), axis 1 is y, axis 0 is z.
  for (int axis = 2; axis >= 0; --axis) transform_axis(data, shape, axis, spacing[2 - axis]);
  return d.sqrt_();
}

}  // namespace unetx::pipeline
