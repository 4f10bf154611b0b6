#include "pipeline/inference.h"

#include <ATen/autocast_mode.h>
#include <torch/torch.h>

#include "io/image_io.h"
#include "io/error.h"
#include "models/checkpoint.h"
#include "models/torchscript_model.h"
#include "models/unetpp.h"
#include "pipeline/sliding_window.h"

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

at::Tensor per_window(const at::Tensor& image, int64_t out_channels, const Plan& plan,
                      const InferenceOptions& options,
                      const std::function<at::Tensor(const at::Tensor&)>& fn) {
  SlidingWindowOptions sw;
  sw.patch_xyz = plan.patch_size;
  sw.overlap = options.overlap;
  sw.batch_size = options.batch_size;
  sw.spatial_dims = plan.spatial_dims;
  return sliding_window(image, out_channels, sw, fn);
}

at::Tensor predict_probabilities(models::SegmentationModel& model, const at::Tensor& image,
                                 const Plan& plan, const InferenceOptions& options) {
  torch::NoGradGuard no_grad;
  auto device = model.parameters().empty() ? torch::kCPU : model.parameters()[0].device();
  return per_window(image, model.num_classes(), plan, options, [&](const at::Tensor& batch) {
    Bf16Autocast autocast(options.bf16);
    return torch::softmax(model.forward(batch.to(device)).to(torch::kFloat32), 1).cpu();
  });
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
  return predict_case(m, c.id, io::read_channels(c.images), options);
}

CasePrediction predict_case(InferenceModel& m, const std::string& id, io::Volume image,
                            const InferenceOptions& options) {
  CasePrediction out;
  out.image = std::move(image);
  out.prepared = prepare_case(id, out.image, nullptr, m.plan);
  out.probs = predict_probabilities(*m.model, out.prepared.image, m.plan, options);
  out.probs_original = restore_to_original(out.probs, out.prepared);
  out.labels = labels_volume(out.probs_original, out.prepared.original_geometry);
  out.labels.data = postprocess_labels(out.labels.data, options.postprocess);
  return out;
}

}  // namespace unetx::pipeline
