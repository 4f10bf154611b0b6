#include "xai/occlusion.h"

#include <torch/torch.h>

#include <algorithm>
#include <vector>

#include "io/error.h"
#include "xai/grad_cam.h"

namespace unetx::xai {
namespace {

// Patch starts along an axis of n voxels: every stride, plus one flush with the far edge.
std::vector<int64_t> starts(int64_t n, int64_t window, int64_t stride) {
  std::vector<int64_t> s;
  for (int64_t a = 0; a + window < n; a += stride) s.push_back(a);
  s.push_back(n - window);
  s.erase(std::unique(s.begin(), s.end()), s.end());
  return s;
}

struct Patch {
  std::vector<int64_t> start, size;  // per spatial axis
  at::Tensor view(const at::Tensor& t) const {  // (C, spatial...) -> the patch
    at::Tensor v = t;
    for (size_t d = 0; d < start.size(); ++d) v = v.narrow(static_cast<int64_t>(d) + 1, start[d], size[d]);
    return v;
  }
};

std::vector<Patch> patches(at::IntArrayRef space, const MethodOptions& o) {
  const size_t dims = space.size();
  std::vector<std::vector<int64_t>> axis(dims);
  std::vector<int64_t> size(dims);
  for (size_t d = 0; d < dims; ++d) {
    const size_t k = 3 - dims + d;  // (z, y, x) option index of this axis
    size[d] = std::clamp<int64_t>(o.window[k], 1, space[d]);
    axis[d] = starts(space[d], size[d], std::max<int64_t>(1, o.stride[k]));
  }
  std::vector<Patch> out{Patch{{}, size}};
  for (size_t d = 0; d < dims; ++d) {
    std::vector<Patch> next;
    for (const Patch& p : out) {
      for (int64_t a : axis[d]) {
        Patch q = p;
        q.start.push_back(a);
        next.push_back(q);
      }
    }
    out = std::move(next);
  }
  return out;
}

// Occlusion map (1, spatial...) of one sample xb (1, C, spatial...).
at::Tensor occlude_one(models::SegmentationModel& model, const at::Tensor& xb, const at::Tensor& bb,
                       const Objective& obj, const MethodOptions& o) {
  const std::vector<Patch> all = patches(xb.sizes().slice(2), o);
  const double f0 = objective_values(model, xb, obj).item<double>();
  std::vector<int64_t> shape = xb.sizes().slice(1).vec();
  shape[0] = 1;
  at::Tensor sum = at::zeros(shape, xb.options().dtype(at::kFloat));
  at::Tensor count = at::zeros_like(sum);
  const size_t per_pass = static_cast<size_t>(std::max(1, o.batch));
  for (size_t p0 = 0; p0 < all.size(); p0 += per_pass) {
    const size_t m = std::min(per_pass, all.size() - p0);
    std::vector<at::Tensor> inputs;
    for (size_t i = p0; i < p0 + m; ++i) {
      at::Tensor occluded = xb[0].clone();
      all[i].view(occluded).copy_(all[i].view(bb[0]));
      inputs.push_back(occluded.unsqueeze(0));
    }
    const at::Tensor f = objective_values(model, at::cat(inputs, 0), obj.repeated(static_cast<int64_t>(m)));
    for (size_t i = 0; i < m; ++i) {
      all[p0 + i].view(sum).add_(f0 - f[static_cast<int64_t>(i)].item<double>());
      all[p0 + i].view(count).add_(1.0);
    }
  }
  return sum / count.clamp_min(1.0);
}

}  // namespace

at::Tensor occlusion(models::SegmentationModel& model, const at::Tensor& x, const at::Tensor& baseline,
                     const Objective& obj, const MethodOptions& options) {
  const Objective fixed = fix_region(model, x, obj);
  std::vector<at::Tensor> maps;
  for (int64_t b = 0; b < x.size(0); ++b) {
    Objective one = fixed;
    one.region = fixed.region.narrow(0, b, 1);
    maps.push_back(occlude_one(model, x.narrow(0, b, 1), baseline.narrow(0, b, 1), one, options));
  }
  return at::stack(maps, 0);
}

std::string mhex_cam_available(const models::SegmentationModel& model, const std::string& layer) {
  const std::string tap = layer.rfind("mhex.", 0) == 0 ? layer : "mhex.0.cam";
  const auto names = model.tap_names();
  if (std::find(names.begin(), names.end(), tap) == names.end()) {
    throw Error("--method mhex_cam", "needs an EU-Net model with MHEX+ taps (" + tap +
                                         "); this model is '" +
                                         model.config().value("name", std::string("?")) + "'");
  }
  return tap;
}

at::Tensor mhex_cam(models::SegmentationModel& model, const at::Tensor& x, const at::Tensor&,
                    const Objective& obj, const MethodOptions& options) {
  const std::string tap = mhex_cam_available(model, options.layer);
  torch::NoGradGuard no_grad;
  model.record_taps(true);
  at::Tensor cam;
  try {
    model.forward(x);
    cam = model.taps().at(tap);
  } catch (...) {
    model.record_taps(false);
    throw;
  }
  model.record_taps(false);
  if (obj.target_class < 0 || obj.target_class >= cam.size(1)) {
    throw Error("--target-class", "out of range for the model's " + std::to_string(cam.size(1)) +
                                      " classes");
  }
  cam = cam.narrow(1, obj.target_class, 1).to(at::kFloat).relu();
  return upsample_map(cam, x.sizes().slice(2)).contiguous();
}

}  // namespace unetx::xai
