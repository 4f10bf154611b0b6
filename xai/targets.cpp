#include "xai/targets.h"

#include <sstream>
#include <string>
#include <vector>

#include "io/error.h"
#include "pipeline/class_argmax.h"

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

void check_region(const at::Tensor& region, const at::Tensor& class_logits) {
  if (region.sizes() == class_logits.sizes()) return;
  std::ostringstream msg;
  msg << "shape " << region.sizes() << " does not match the logits' (B, spatial...) shape "
      << class_logits.sizes();
  throw Error("region", msg.str());
}

std::array<int64_t, 6> parse_box(const std::string& text, const std::string& subject) {
  std::array<int64_t, 6> box{};
  std::stringstream in(text);
  std::string item;
  size_t n = 0;
  while (std::getline(in, item, ',')) {
    if (n == 6) throw Error(subject, "a box has 6 numbers: z0,y0,x0,z1,y1,x1");
    size_t used = 0;
    try {
      box[n] = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != item.size()) throw Error(subject, "'" + item + "' is not an integer");
    ++n;
  }
  if (n != 6) throw Error(subject, "a box has 6 numbers: z0,y0,x0,z1,y1,x1");
  for (int i = 0; i < 3; ++i) {
    if (box[i] < 0 || box[i + 3] <= box[i]) {
      throw Error(subject, "empty or negative box: need 0 <= start < end on every axis");
    }
  }
  return box;
}

}  // namespace

TargetSpec parse_target(const std::string& text) {
  const std::string subject = "--target " + text;
  TargetSpec spec;
  if (text == "predicted") return spec;
  if (text == "border") {
    spec.kind = TargetKind::border;
  } else if (text.rfind("mask:", 0) == 0 && text.size() > 5) {
    spec.kind = TargetKind::mask;
    spec.mask_file = text.substr(5);
  } else if (text.rfind("box:", 0) == 0) {
    spec.kind = TargetKind::box;
    spec.box = parse_box(text.substr(4), subject);
  } else {
    throw Error(subject, "expected predicted, border, mask:FILE or box:z0,y0,x0,z1,y1,x1");
  }
  return spec;
}

Reduce parse_reduce(const std::string& text) {
  if (text == "sum") return Reduce::sum;
  if (text == "mean") return Reduce::mean;
  throw Error("--reduce " + text, "expected sum or mean");
}

std::filesystem::path target_mask_file(const TargetSpec& spec, const std::string& case_id) {
  std::string file = spec.mask_file;
  const std::string key = "{case_id}";
  for (size_t at = file.find(key); at != std::string::npos; at = file.find(key, at)) {
    file.replace(at, key.size(), case_id);
    at += case_id.size();
  }
  return file;
}

at::Tensor predicted_region(const at::Tensor& logits, int64_t target_class) {
  check_class(logits, target_class);
  return pipeline::class_argmax(logits.detach(), 1).squeeze(1).eq(target_class);
}

at::Tensor border_region(const at::Tensor& region) {
  const at::Tensor r = region.detach().to(at::kBool);
  at::Tensor border = at::zeros_like(r);
  for (int64_t d = 1; d < r.dim(); ++d) {
    const int64_t n = r.size(d);
    if (n < 2) continue;
    // A voxel is on the border when its predecessor or successor along d is outside the region.
    const at::Tensor head = r.narrow(d, 0, n - 1), tail = r.narrow(d, 1, n - 1);
    border.narrow(d, 1, n - 1).logical_or_(tail.logical_and(head.logical_not()));
    border.narrow(d, 0, n - 1).logical_or_(head.logical_and(tail.logical_not()));
  }
  return border;
}

at::Tensor region_score(const at::Tensor& logits, int64_t target_class, const at::Tensor& region) {
  check_class(logits, target_class);
  const at::Tensor class_logits = logits.select(1, target_class);
  at::Tensor r = region.defined() ? region : predicted_region(logits, target_class);
  check_region(r, class_logits);
  // Multiply instead of masked_select so an empty region still yields a score on the graph
  // (value 0, gradient 0) rather than an error in autograd.
  return (class_logits * r.detach().to(class_logits.options())).sum();
}

at::Tensor sample_scores(const at::Tensor& logits, int64_t target_class, const at::Tensor& region,
                         Reduce reduce) {
  check_class(logits, target_class);
  const at::Tensor class_logits = logits.select(1, target_class);
  check_region(region, class_logits);
  const at::Tensor r = region.detach().to(class_logits.options());
  const at::Tensor s = (class_logits * r).flatten(1).sum(1);
  if (reduce == Reduce::sum) return s;
  return s / r.flatten(1).sum(1).clamp_min(1.0);
}

}  // namespace unetx::xai
