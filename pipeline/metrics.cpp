#include "pipeline/metrics.h"

#include <string>

#include "io/error.h"

namespace unetx::pipeline {

namespace {

// a / b, or the convention for b == 0: 1 when `none_missed` (nothing on either side), else 0.
double ratio(int64_t a, int64_t b, bool none_missed) {
  if (b == 0) return none_missed ? 1.0 : 0.0;
  return static_cast<double>(a) / static_cast<double>(b);
}

void check_label_map(const at::Tensor& t, const char* what) {
  if (!t.defined()) throw Error("", std::string("overlap: ") + what + " is undefined");
  if (at::isFloatingType(t.scalar_type()) || at::isComplexType(t.scalar_type())) {
    throw Error("", std::string("overlap: ") + what + " must be an integer label map");
  }
}

}  // namespace

double Overlap::dice() const { return ratio(2 * tp, 2 * tp + fp + fn, true); }
double Overlap::iou() const { return ratio(tp, tp + fp + fn, true); }
double Overlap::precision() const { return ratio(tp, tp + fp, fn == 0); }
double Overlap::recall() const { return ratio(tp, tp + fn, fp == 0); }
double Overlap::specificity() const { return ratio(tn, tn + fp, true); }

Overlap overlap(const at::Tensor& pred, const at::Tensor& ref, int64_t label) {
  check_label_map(pred, "prediction");
  check_label_map(ref, "reference");
  if (pred.sizes() != ref.sizes()) {
    throw Error("", "overlap: prediction shape " + std::string(c10::str(pred.sizes())) +
                        " differs from reference shape " + std::string(c10::str(ref.sizes())));
  }
  const auto p = pred.eq(label);
  const auto r = ref.to(pred.device()).eq(label);
  Overlap o;
  o.tp = p.logical_and(r).sum().item<int64_t>();
  const int64_t n_pred = p.sum().item<int64_t>();
  const int64_t n_ref = r.sum().item<int64_t>();
  o.fp = n_pred - o.tp;
  o.fn = n_ref - o.tp;
  o.tn = pred.numel() - o.tp - o.fp - o.fn;
  return o;
}

std::vector<double> dice_per_class(const at::Tensor& pred, const at::Tensor& ref,
                                   int64_t num_classes) {
  std::vector<double> out;
  for (int64_t k = 1; k < num_classes; ++k) out.push_back(overlap(pred, ref, k).dice());
  return out;
}

}  // namespace unetx::pipeline
