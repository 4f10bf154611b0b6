#include "xai/explain_case.h"

#include <torch/torch.h>

#include <algorithm>

#include "io/error.h"
#include "io/image_io.h"
#include "pipeline/case_prep.h"
#include "pipeline/class_argmax.h"
#include "xai/gradients.h"

namespace unetx::xai {
namespace {

// The target region on the original grid as a one-channel uint8 Volume.
io::Volume region_volume(const io::Volume& image, const std::string& id, const ExplainSpec& spec) {
  io::Volume region{at::zeros({1, image.data.size(1), image.data.size(2), image.data.size(3)},
                              at::kByte),
                    image.geometry, {}};
  if (spec.target.kind == TargetKind::box) {
    const auto& b = spec.target.box;
    for (int a = 0; a < 3; ++a) {
      if (b[a] >= region.data.size(a + 1)) {
        throw Error(id, "--target box starts outside the image (axis " + std::string("zyx").substr(a, 1) +
                            " has " + std::to_string(region.data.size(a + 1)) + " voxels)");
      }
    }
    region.data[0]
        .slice(0, b[0], std::min(b[3], region.data.size(1)))
        .slice(1, b[1], std::min(b[4], region.data.size(2)))
        .slice(2, b[2], std::min(b[5], region.data.size(3)))
        .fill_(1);
    return region;
  }
  const auto file = target_mask_file(spec.target, id);
  const io::Volume mask = io::read_image(file);
  if (!io::same_grid(mask, image)) throw Error(file.string(), "mask is not on the image's grid");
  region.data = mask.data.narrow(0, 0, 1).ne(0).to(at::kByte);
  return region;
}

at::Tensor baseline_channels(const pipeline::CasePrediction& p, const std::string& id,
                             const std::string& file, const pipeline::Plan& plan) {
  const io::Volume b = io::read_image(file);
  if (!io::same_grid(b, p.image) || b.channels() != p.image.channels()) {
    throw Error(file, "baseline is not on the image's grid with its channels");
  }
  const at::Tensor prepared = pipeline::prepare_case(id, b, nullptr, plan).image;
  if (prepared.sizes() != p.prepared.image.sizes()) {
    throw Error(file, "baseline gives another plan-grid size than the image (its nonzero extent "
                      "differs while the plan crops to nonzero)");
  }
  return prepared;
}

bool is_file_baseline(const std::string& b) { return b != "zeros" && b != "blur"; }

}  // namespace

PackedCase pack_case(const pipeline::CasePrediction& p, const std::string& id,
                     const ExplainSpec& spec, const pipeline::Plan& plan) {
  PackedCase pc;
  pc.channels = p.prepared.image.size(0);
  std::vector<at::Tensor> parts{p.prepared.image.to(at::kFloat)};
  if (is_file_baseline(spec.baseline)) {
    parts.push_back(baseline_channels(p, id, spec.baseline, plan));
    pc.has_baseline = true;
  }
  if (spec.target.kind == TargetKind::mask || spec.target.kind == TargetKind::box) {
    const io::Volume region = region_volume(p.image, id, spec);
    parts.push_back(pipeline::prepare_case(id, p.image, &region, plan).label.to(at::kFloat));
    pc.has_region = true;
  }
  pc.packed = at::cat(parts, 0);
  return pc;
}

namespace {

struct WindowInputs {
  at::Tensor x, baseline;
  Objective obj;
};

WindowInputs unpack(models::SegmentationModel& model, const ExplainSpec& spec,
                    const PackedCase& layout, const at::Tensor& batch) {
  WindowInputs w;
  const at::Device device = model_device(model);
  w.x = batch.narrow(1, 0, layout.channels).to(device);
  if (layout.has_baseline) {
    w.baseline = batch.narrow(1, layout.channels, layout.channels).to(device);
  } else {
    w.baseline = spec.baseline == "blur" ? blurred_baseline(w.x) : at::zeros_like(w.x);
  }
  w.obj.target_class = spec.target_class;
  w.obj.reduce = spec.reduce;
  w.obj.border = spec.target.kind == TargetKind::border;
  if (layout.has_region) w.obj.region = batch.select(1, batch.size(1) - 1).gt(0.5).to(device);
  return w;
}

}  // namespace

at::Tensor explain_windows(models::SegmentationModel& model, const MapJob& job,
                           const ExplainSpec& spec, const PackedCase& layout,
                           const at::Tensor& batch) {
  const WindowInputs w = unpack(model, spec, layout, batch);
  return job.method->fn(model, w.x, w.baseline, w.obj, job.options)
      .sum(1, /*keepdim=*/true)
      .to(at::kFloat)
      .cpu();
}

namespace {

// Centre (z, y, x) of the target region on the plan grid.
std::array<int64_t, 3> region_centre(const PackedCase& packed, const pipeline::CasePrediction& p,
                                     const ExplainSpec& spec) {
  const at::Tensor& img = packed.packed;
  std::array<int64_t, 3> c{img.size(1) / 2, img.size(2) / 2, img.size(3) / 2};
  at::Tensor region;
  if (packed.has_region) {
    region = img[img.size(0) - 1].gt(0.5);
  } else if (p.probs.defined()) {
    region = pipeline::class_argmax(p.probs, 0).squeeze(0).eq(spec.target_class);
  }
  if (!region.defined() || !region.any().item<bool>()) return c;
  const at::Tensor idx = region.nonzero().to(at::kDouble).mean(0);
  for (int a = 0; a < 3; ++a) c[a] = static_cast<int64_t>(idx[a].item<double>());
  return c;
}

// (1, C', patch...) window of the packed case around `centre`, zero padded where the case is
// smaller than the patch. 2-D plans: one z slice.
at::Tensor window_at(const at::Tensor& packed, const std::array<int64_t, 3>& centre,
                     const pipeline::SlidingWindowOptions& o) {
  const std::array<int64_t, 3> patch{o.patch_xyz[2], o.patch_xyz[1], o.patch_xyz[0]};
  at::Tensor w = packed;
  if (o.spatial_dims == 2) w = w.narrow(1, centre[0], 1);
  std::vector<int64_t> pad;
  for (int a = o.spatial_dims == 2 ? 1 : 0; a < 3; ++a) {
    const int64_t n = w.size(a + 1), len = std::min(n, patch[a]);
    const int64_t start = std::clamp<int64_t>(centre[a] - len / 2, 0, n - len);
    w = w.narrow(a + 1, start, len);
    pad.insert(pad.begin(), {0, patch[a] - len});  // constant_pad_nd lists the last axis first
  }
  w = at::constant_pad_nd(w, pad, 0.0);
  if (o.spatial_dims == 2) w = w.squeeze(1);
  return w.unsqueeze(0);
}

}  // namespace

FaithfulnessScores case_faithfulness(models::SegmentationModel& model, const MapJob& job,
                                     const ExplainSpec& spec, const PackedCase& packed,
                                     const pipeline::CasePrediction& p, const pipeline::Plan& plan,
                                     const pipeline::InferenceOptions& inference,
                                     const FaithfulnessOptions& options, uint64_t seed) {
  const auto window_options = pipeline::sliding_window_options(plan, inference);
  const at::Tensor window = window_at(packed.packed, region_centre(packed, p, spec), window_options);
  const WindowInputs w = unpack(model, spec, packed, window);
  torch::manual_seed(seed);
  const Objective fixed = fix_region(model, w.x, w.obj);
  const at::Tensor phi = job.method->fn(model, w.x, w.baseline, fixed, job.options);
  return faithfulness(model, w.x, phi, w.baseline, fixed, job.method->fn, job.options, options);
}

}  // namespace unetx::xai
