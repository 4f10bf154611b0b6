#include "xai/targets.h"

#include <sstream>
#include <string>

#include "io/error.h"

namespace unetx::xai {
namespace {

void check_class(const at::Tensor& logits, int64_t target_class) {
  if (logits.dim() < 3) {
    throw Error("logits",
                "expected (B, K, spatial...), got " + std::to_string(logits.dim()) + " dimensions");
  }
  if (target_class < 0 || target_class >= logits.size(1)) {
    throw Error("target class " + std::to_string(target_class),
                "out of range; the model has " + std::to_string(logits.size(1)) + " classes");
  }
}

}  // namespace

at::Tensor predicted_region(const at::Tensor& logits, int64_t target_class) {
  check_class(logits, target_class);
  return logits.detach().argmax(1).eq(target_class);
}

at::Tensor region_score(const at::Tensor& logits, int64_t target_class, const at::Tensor& region) {
  check_class(logits, target_class);
  const at::Tensor class_logits = logits.select(1, target_class);
  at::Tensor r = region.defined() ? region : predicted_region(logits, target_class);
  if (r.sizes() != class_logits.sizes()) {
    std::ostringstream msg;
    msg << "shape " << r.sizes() << " does not match the logits' (B, spatial...) shape "
        << class_logits.sizes();
    throw Error("region", msg.str());
  }
  // Multiply instead of masked_select so an empty region still yields a score on the graph
  // (value 0, gradient 0) rather than an error in autograd.
  return (class_logits * r.detach().to(class_logits.options())).sum();
}

}  // namespace unetx::xai
