// The uncertainty estimators of `unetx uncertainty --method`, one registry: each method turns a
// prepared case into the mean class probabilities it qualifies, named per-voxel maps and the
// predicted volume of each of its samples. Adding a method is adding one entry. mc_dropout and
// tta tile the image once and put the samples of each window through the network together
// (uncertainty_batched.h); ensemble and the single-pass methods tile it once per network.
#pragma once

#include <ATen/ATen.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "pipeline/ensemble.h"
#include "pipeline/inference.h"

namespace unetx::xai {

struct UncertaintyOptions {
  int samples = 10;               // mc_dropout: stochastic forward passes per case, >= 2
  double rotation_degrees = 10;   // tta: rotations by +-this in the y-x plane; 0 = flips only
  pipeline::InferenceOptions inference;  // windows; tta uses inference.tta as its mirror axes
};

struct MethodResult {
  at::Tensor mean_probs;  // (K, Z, Y, X) float32 on the plan grid: the prediction qualified
  // (1, Z, Y, X) float32 maps on the plan grid, in UncertaintyMethod::maps order.
  std::vector<std::pair<std::string, at::Tensor>> maps;
  std::vector<double> foreground_voxels;  // predicted volume (voxels) per sample; one if 1 pass
};

struct UncertaintyMethod {
  std::string name;         // as given to --method
  std::string description;  // one line for --help
  // Map names in output order; maps[0] is the voxel uncertainty (higher = less certain) that
  // the per-case scores, AUROC and correlations use.
  std::vector<std::string> maps;
  // Refuses, before any case runs, networks the method cannot use. Throws unetx::Error.
  std::function<void(pipeline::InferenceEnsemble&, const UncertaintyOptions&)> check;
  // image: (C, Z, Y, X) prepared on the plan grid (pipeline::prepare_case).
  std::function<MethodResult(pipeline::InferenceEnsemble&, const at::Tensor& image,
                             const UncertaintyOptions&)>
      run;
};

// entropy, mc_dropout, tta, ensemble, collaboration. Methods that use one network use
// members[0]; ensemble uses every member.
const std::vector<UncertaintyMethod>& uncertainty_methods();

// "mc_dropout,tta" -> those methods in the given order ("mc-dropout" accepted too). Throws
// unetx::Error("--method", ...) naming the unknown or repeated method and the available ones.
std::vector<const UncertaintyMethod*> parse_methods(const std::string& list);

}  // namespace unetx::xai
