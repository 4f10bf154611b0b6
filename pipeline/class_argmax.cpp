#include "pipeline/class_argmax.h"

#include <string>

#include "io/error.h"

namespace unetx::pipeline {

at::Tensor class_argmax(const at::Tensor& scores, int64_t dim) {
  const int64_t k = scores.size(dim);
  if (k < 1 || k > 256)
    throw Error("", "class_argmax: " + std::to_string(k) + " classes (1 to 256 supported)");
  at::Tensor best = scores.narrow(dim, 0, 1);
  at::Tensor index = at::zeros(best.sizes(), scores.options().dtype(at::kByte));
  for (int64_t c = 1; c < k; ++c) {
    const at::Tensor s = scores.narrow(dim, c, 1);
    // Strictly greater keeps the first of tied maxima; a NaN beats every number, not a NaN.
    const at::Tensor wins =
        s.gt(best).logical_or_(s.isnan().logical_and_(best.isnan().logical_not_()));
    best = at::where(wins, s, best);
    index.masked_fill_(wins, c);
  }
  return index;
}

}  // namespace unetx::pipeline
