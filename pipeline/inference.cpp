#include "pipeline/inference.h"

#include <ATen/autocast_mode.h>
#include <torch/torch.h>

#include "io/image_io.h"
#include "io/error.h"
#include "models/checkpoint.h"
#include "models/torchscript_model.h"
#include "models/unetpp.h"
#include "pipeline/slab_inference.h"
#include "pipeline/sliding_window.h"
#include "pipeline/plan_match.h"

namespace unetx::pipeline {

Bf16Autocast::Bf16Autocast(bool on) : on_(on) {
  if (!on_) return;
  was_enabled_ = at::autocast::is_cpu_enabled();
  at::autocast::set_cpu_enabled(true);
  at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
  at::autocast::increment_nesting();
}

Bf16Autocast::~Bf16Autocast() {
  if (!on_) return;
  // Cached bf16 weight copies must not outlive the region (weights change between steps).
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  at::autocast::set_cpu_enabled(was_enabled_);
}

SlidingWindowOptions sliding_window_options(const Plan& plan, const InferenceOptions& options) {
  SlidingWindowOptions sw;
  sw.patch_xyz = plan.patch_size;
  sw.overlap = options.overlap;
  sw.batch_size = options.batch_size;
  sw.spatial_dims = plan.spatial_dims;
  return sw;
}

at::Tensor per_window(const at::Tensor& image, int64_t out_channels, const Plan& plan,
                      const InferenceOptions& options,
                      const std::function<at::Tensor(const at::Tensor&)>& fn) {
  return sliding_window(image, out_channels, sliding_window_options(plan, options), fn);
}

WindowFn probability_window_fn(const Networks& networks, const Plan& plan,
                               const InferenceOptions& options) {
  if (networks.empty()) throw Error("", "inference needs at least one network");
  const auto flips = mirror_flips(options.tta, plan.spatial_dims);
  const bool bf16 = options.bf16;
  return [networks, flips, bf16](const at::Tensor& batch) {
    at::Tensor sum;
    for (models::SegmentationModel* net : networks) {
      const auto params = net->parameters();
      const auto device = params.empty() ? torch::Device(torch::kCPU) : params[0].device();
      at::Tensor p = mirrored_mean(batch, flips, [&](const at::Tensor& b) {
        Bf16Autocast autocast(bf16);
        return torch::softmax(net->forward(b.to(device)).to(torch::kFloat32), 1).cpu();
      });
      sum = sum.defined() ? sum.add_(p) : p;
    }
    if (networks.size() > 1) sum.div_(static_cast<double>(networks.size()));
    return sum;
  };
}

at::Tensor predict_probabilities(const Networks& networks, const at::Tensor& image,
                                 const Plan& plan, const InferenceOptions& options) {
  torch::NoGradGuard no_grad;
  const WindowFn fn = probability_window_fn(networks, plan, options);
  return per_window(image, networks.front()->num_classes(), plan, options, fn);
}

at::Tensor predict_probabilities(models::SegmentationModel& model, const at::Tensor& image,
                                 const Plan& plan, const InferenceOptions& options) {
  return predict_probabilities(Networks{&model}, image, plan, options);
}

namespace {

bool is_unetx_checkpoint(const std::filesystem::path& file) {
  try {
    models::read_checkpoint_meta(file);
    return true;
  } catch (const Error&) {
    return false;
  }
}

void set_prune_level(models::SegmentationModel& model, int level, const std::string& file) {
  if (auto* m2 = dynamic_cast<models::UNetPlusPlusImpl<2>*>(&model)) return m2->set_prune_level(level);
  if (auto* m3 = dynamic_cast<models::UNetPlusPlusImpl<3>*>(&model)) return m3->set_prune_level(level);
  throw Error(file, "--prune-level applies to UNet++ models only (this one is '" +
                        model.config().value("name", std::string("?")) + "')");
}

}  // namespace

InferenceModel load_inference_model(const std::filesystem::path& checkpoint,
                                    const std::string& device, const ModelLoadOptions& options) {
  InferenceModel m;
  m.device = device;
  if (!options.plan.empty()) {
    if (is_unetx_checkpoint(checkpoint)) {
      throw Error(checkpoint.string(),
                  "is a unetx checkpoint, which carries its own plan: drop --plan");
    }
    m.plan = Plan::load(options.plan);
    models::TorchScriptInfo info;
    info.spatial_dims = m.plan.spatial_dims;
    info.in_channels = m.plan.in_channels;
    info.num_classes = m.plan.num_classes();
    m.model = models::load_torchscript_model(checkpoint, info, torch::Device(device));
  } else {
    try {
      auto loaded = models::load_checkpoint(checkpoint, torch::Device(device));
      m.model = loaded.model;
      m.plan = Plan::from_json(loaded.meta.plan);
    } catch (const Error& e) {
      if (e.reason().rfind("not a unetx checkpoint", 0) != 0) throw;
      throw Error(e.subject(), e.reason() + "; for a TorchScript model also give --plan plan.json");
    }
  }
  if (options.prune_level != 0) set_prune_level(*m.model, options.prune_level, checkpoint.string());
  m.model->eval();
  return m;
}

CasePrediction predict_case(InferenceModel& m, const io::Case& c, const InferenceOptions& options) {
  io::Volume image = io::read_channels(c.images);
  check_case_fits_plan(c, image, m.plan);
  return predict_case(m, c.id, std::move(image), options);
}

CasePrediction predict_case(InferenceModel& m, const std::string& id, io::Volume image,
                            const InferenceOptions& options) {
  return predict_case(Networks{m.model.get()}, m.plan, id, std::move(image), options);
}

CasePrediction predict_case(const Networks& networks, const Plan& plan, const std::string& id,
                            io::Volume image, const InferenceOptions& options) {
  if (networks.empty()) throw Error(id, "inference needs at least one network");
  const int64_t channels = image.data.dim() == 4 ? image.data.size(0) : 1;
  if (channels != networks.front()->in_channels()) {
    throw Error(id, "image has " + std::to_string(channels) + " channel(s), the model expects " +
                        std::to_string(networks.front()->in_channels()));
  }
  CasePrediction out;
  out.image = std::move(image);
  out.prepared = prepare_case(id, out.image, nullptr, plan);
  torch::NoGradGuard no_grad;
  const int64_t classes = networks.front()->num_classes();
  const SlidingWindowOptions sw = sliding_window_options(plan, options);
  const WindowFn fn = probability_window_fn(networks, plan, options);
  const double budget = options.memory_budget_gb * 1e9;
  if (budget > 0 && whole_volume_bytes(out.prepared, classes, sw) > budget) {
    SlabPrediction s = predict_slabs(out.prepared, classes, sw,
                                     band_rows_for_budget(out.prepared, classes, sw, budget), fn,
                                     {options.keep_probabilities,
                                      options.probabilities_scratch_dir});
    out.probs_original = s.probs_original;
    out.labels = io::Volume{s.labels, out.prepared.original_geometry, {}};
    out.slabs = s.slabs;
  } else {
    out.probs = sliding_window(out.prepared.image, classes, sw, fn);
    out.probs_original = restore_to_original(out.probs, out.prepared);
    out.labels = labels_volume(out.probs_original, out.prepared.original_geometry);
  }
  out.labels.data = postprocess_labels(out.labels.data, options.postprocess);
  return out;
}

}  // namespace unetx::pipeline
