#include "xai/uncertainty_methods.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <algorithm>
#include <sstream>

#include "io/error.h"
#include "models/mc_dropout.h"
#include "xai/collaboration_gradient.h"
#include "xai/uncertainty.h"
#include "xai/uncertainty_batched.h"
#include "xai/uncertainty_tta.h"

namespace unetx::xai {
namespace {

using pipeline::InferenceEnsemble;

// MC-dropout sampling for one scope; the network is back in plain eval mode afterwards, so
// the methods that follow see the deterministic model.
class McDropoutScope {
 public:
  explicit McDropoutScope(models::SegmentationModel& m) : m_(m) { models::set_mc_dropout(m_, true); }
  ~McDropoutScope() { models::set_mc_dropout(m_, false); }
  McDropoutScope(const McDropoutScope&) = delete;
  McDropoutScope& operator=(const McDropoutScope&) = delete;

 private:
  models::SegmentationModel& m_;
};

// Every sample method reports entropy first; mi and variance as its maps list asks.
MethodResult from_samples(SampleStatistics s, const std::vector<std::string>& maps) {
  MethodResult r;
  r.mean_probs = std::move(s.mean_probs);
  for (const auto& name : maps) {
    const at::Tensor& m = name == "entropy" ? s.entropy
                          : name == "mi"    ? s.mutual_information
                                            : s.variance;
    r.maps.emplace_back(name, m);
  }
  r.foreground_voxels = std::move(s.foreground_voxels);
  return r;
}

pipeline::InferenceOptions single_pass(pipeline::InferenceOptions o) {
  o.tta = pipeline::MirrorAxes{};  // the augmentations are the samples, not averaged inside
  return o;
}

MethodResult run_entropy(InferenceEnsemble& e, const at::Tensor& image,
                         const UncertaintyOptions& o) {
  at::Tensor p = pipeline::predict_probabilities(*e.members[0].model, image, e.plan(), o.inference);
  MethodResult r;
  r.maps.emplace_back("entropy", entropy(p));
  r.foreground_voxels = {foreground_voxels(p)};
  r.mean_probs = std::move(p);
  return r;
}

void check_mc_dropout(InferenceEnsemble& e, const UncertaintyOptions& o) {
  if (o.samples < 2) throw Error("--samples", "mc_dropout needs at least 2 stochastic passes");
  models::SegmentationModel& net = *e.members[0].model;
  const int dropout_layers = models::set_mc_dropout(net, true);
  models::set_mc_dropout(net, false);
  if (dropout_layers == 0) {
    throw Error(e.files[0].string(),
                "the network has no dropout layer, so MC dropout has nothing to sample "
                "(preprocess with --dropout > 0 and retrain)");
  }
}

torch::Device device_of(models::SegmentationModel& net) {
  const auto params = net.parameters();
  return params.empty() ? torch::Device(torch::kCPU) : params[0].device();
}

// Images (window copies) per forward pass. oneDNN convolves a batch image by image across the
// intra-op threads, so more images than threads add no parallelism and only grow the working
// set: on 32^3 windows with 8 first-level features, forwards of 4 images cost 1.2-1.4x more per
// image than forwards of 2, on 1 and on 2 threads (their activations no longer fit the 1 MiB
// L2 cache of a core). A single image would take LibTorch's slower native kernel (see
// models/halo_split_conv.h), so at least 2. --batch-size caps it.
int images_per_forward(const UncertaintyOptions& o) {
  return std::max(1, std::min(o.inference.batch_size, std::max(2, at::get_num_threads())));
}

// The samples of a window go through the network together, up to images_per_forward of them
// (as many windows as fit beside them when there are fewer samples).
int samples_per_forward(const UncertaintyOptions& o, int samples) {
  return std::min(samples, images_per_forward(o));
}

pipeline::SlidingWindowOptions sample_windows(const InferenceEnsemble& e,
                                              const UncertaintyOptions& o, int chunk) {
  pipeline::SlidingWindowOptions sw = pipeline::sliding_window_options(e.plan(), o.inference);
  sw.batch_size = std::max(1, images_per_forward(o) / chunk);
  return sw;
}

// (count * B, K, spatial...) -> (count, B, K, spatial...).
at::Tensor split_samples(const at::Tensor& probs, int count) {
  std::vector<int64_t> shape = probs.sizes().vec();
  shape[0] /= count;
  shape.insert(shape.begin(), count);
  return probs.view(shape);
}

MethodResult run_mc_dropout(InferenceEnsemble& e, const at::Tensor& image,
                            const UncertaintyOptions& o) {
  models::SegmentationModel& net = *e.members[0].model;
  McDropoutScope scope(net);
  const auto device = device_of(net);
  const auto flips = pipeline::mirror_flips(o.inference.tta, e.plan().spatial_dims);
  const int chunk = samples_per_forward(o, o.samples);
  auto sample = [&](const at::Tensor& windows, int, int count) {
    std::vector<int64_t> shape = windows.sizes().vec();
    shape[0] *= count;
    // Sample-major copies of the windows; each copy draws its own dropout masks.
    std::vector<int64_t> repeat(windows.dim() + 1, -1);
    repeat[0] = count;
    const at::Tensor copies = windows.unsqueeze(0).expand(repeat).reshape(shape);
    at::Tensor p = pipeline::mirrored_mean(copies, flips, [&](const at::Tensor& b) {
      pipeline::Bf16Autocast autocast(o.inference.bf16);
      return torch::softmax(net.forward(b.to(device)).to(at::kFloat), 1).cpu();
    });
    return split_samples(p, count);
  };
  return from_samples(windowed_sample_statistics(image, net.num_classes(),
                                                 sample_windows(e, o, chunk), o.samples, chunk,
                                                 sample),
                      {"entropy", "mi", "variance"});
}

MethodResult run_tta(InferenceEnsemble& e, const at::Tensor& image, const UncertaintyOptions& o) {
  models::SegmentationModel& net = *e.members[0].model;
  const auto augs = tta_augmentations(o.inference.tta, e.plan().spatial_dims, o.rotation_degrees);
  const auto device = device_of(net);
  const int n = static_cast<int>(augs.size());
  const int chunk = samples_per_forward(o, n);
  auto sample = [&](const at::Tensor& windows, int first, int count) {
    std::vector<at::Tensor> in;
    for (int a = first; a < first + count; ++a) in.push_back(augment(windows, augs[a]));
    at::Tensor probs;
    {
      pipeline::Bf16Autocast autocast(o.inference.bf16);
      probs = torch::softmax(net.forward(at::cat(in).to(device)).to(at::kFloat), 1).cpu();
    }
    const int64_t b = windows.size(0);
    std::vector<at::Tensor> out;
    for (int j = 0; j < count; ++j)
      out.push_back(unaugment(probs.narrow(0, j * b, b), augs[first + j]));
    return at::stack(out);
  };
  return from_samples(windowed_sample_statistics(image, net.num_classes(),
                                                 sample_windows(e, o, chunk), n, chunk, sample),
                      {"entropy", "variance"});
}

void check_tta(InferenceEnsemble& e, const UncertaintyOptions& o) {
  tta_augmentations(o.inference.tta, e.plan().spatial_dims, o.rotation_degrees);  // z in 2-D
}

void check_ensemble(InferenceEnsemble& e, const UncertaintyOptions&) {
  if (e.members.size() < 2) {
    throw Error("--model", "the ensemble method needs at least two checkpoints (-m A -m B ...)");
  }
}

MethodResult run_ensemble(InferenceEnsemble& e, const at::Tensor& image,
                          const UncertaintyOptions& o) {
  size_t next = 0;
  auto sample = [&] {
    auto& m = e.members.at(next++);
    return pipeline::predict_probabilities(*m.model, image, e.plan(), o.inference);
  };
  return from_samples(sample_statistics(sample, static_cast<int>(e.members.size())),
                      {"entropy", "mi", "variance"});
}

void check_collaboration(InferenceEnsemble& e, const UncertaintyOptions&) {
  decoder_levels(*e.members[0].model);
}

MethodResult run_collaboration(InferenceEnsemble& e, const at::Tensor& image,
                               const UncertaintyOptions& o) {
  models::SegmentationModel& net = *e.members[0].model;
  const int64_t k = net.num_classes();
  const at::Tensor out = pipeline::per_window(
      image, k + 1, e.plan(), single_pass(o.inference),
      [&](const at::Tensor& b) { return collaboration_window(net, b); });
  MethodResult r;
  r.mean_probs = out.slice(0, 0, k).contiguous();
  const at::Tensor cosine = out.slice(0, k, k + 1).clamp(-1, 1);
  r.maps.emplace_back("uncertainty", (1 - cosine) / 2);
  r.maps.emplace_back("cosine", cosine);
  r.foreground_voxels = {foreground_voxels(r.mean_probs)};
  return r;
}

void no_check(InferenceEnsemble&, const UncertaintyOptions&) {}

}  // namespace

const std::vector<UncertaintyMethod>& uncertainty_methods() {
  static const std::vector<UncertaintyMethod> methods = {
      {"entropy", "single-pass predictive entropy (the baseline)", {"entropy"}, no_check,
       run_entropy},
      {"mc_dropout", "MC dropout, --samples passes: entropy, mutual information, variance",
       {"entropy", "mi", "variance"}, check_mc_dropout, run_mc_dropout},
      {"tta", "mirrorings (--tta axes, default all) and +-rotations: entropy, variance",
       {"entropy", "variance"}, check_tta, run_tta},
      {"ensemble", "every -m checkpoint one member: entropy, mutual information, variance",
       {"entropy", "mi", "variance"}, check_ensemble, run_ensemble},
      {"collaboration", "EU-Net collaboration gradient: (1 - cosine) / 2 and the cosine",
       {"uncertainty", "cosine"}, check_collaboration, run_collaboration},
  };
  return methods;
}

std::vector<const UncertaintyMethod*> parse_methods(const std::string& list) {
  std::vector<const UncertaintyMethod*> out;
  std::stringstream in(list);
  std::string name;
  auto available = [] {
    std::string s;
    for (const auto& m : uncertainty_methods()) s += (s.empty() ? "" : ", ") + m.name;
    return s;
  };
  while (std::getline(in, name, ',')) {
    std::replace(name.begin(), name.end(), '-', '_');
    const auto& all = uncertainty_methods();
    auto it = std::find_if(all.begin(), all.end(), [&](const auto& m) { return m.name == name; });
    if (it == all.end()) throw Error("--method", "unknown method '" + name + "'; available: " + available());
    if (std::find(out.begin(), out.end(), &*it) != out.end())
      throw Error("--method", "'" + name + "' is given twice");
    out.push_back(&*it);
  }
  if (out.empty()) throw Error("--method", "no method given; available: " + available());
  return out;
}

}  // namespace unetx::xai
