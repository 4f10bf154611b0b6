// unetx explain: parse options, call xai::run_explain.
#include <algorithm>
#include <array>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "cmd/cli.h"
#include "cmd/commands.h"
#include "cmd/inference_options.h"
#include "io/error.h"
#include "xai/explain_run.h"
#include "xai/methods.h"
#include "xai/targets.h"

namespace unetx::cli {
namespace {

// "N" (every axis) or "Z,Y,X" voxels, each >= 1.
std::array<int64_t, 3> parse_extent(const std::string& option, const std::string& text) {
  std::vector<int64_t> v;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    try {
      size_t used = 0;
      v.push_back(std::stoll(item, &used));
      if (used != item.size()) v.back() = 0;
    } catch (const std::exception&) {
      v.push_back(0);
    }
  }
  if ((v.size() != 1 && v.size() != 3) || *std::min_element(v.begin(), v.end()) < 1)
    throw po::error("--" + option + " " + text + ": expected N or Z,Y,X voxels, each >= 1");
  return v.size() == 1 ? std::array<int64_t, 3>{v[0], v[0], v[0]}
                       : std::array<int64_t, 3>{v[0], v[1], v[2]};
}

// The method names of a --method list, each known and given once. Throws unetx::Error.
void check_methods(const std::string& list) {
  std::vector<std::string> seen;
  std::stringstream in(list);
  std::string name;
  while (std::getline(in, name, ',')) {
    if (name.empty()) continue;
    if (std::find(seen.begin(), seen.end(), name) != seen.end())
      throw Error("--method " + name, "given twice");
    xai::find_method(name);
    seen.push_back(name);
  }
  if (seen.empty()) throw Error("--method " + list, "no method given");
}

// Checks every option that needs no model or case, filling the parsed extents. Returns the
// one-line message of the first bad one, "" when all are fine.
std::string option_problem(xai::ExplainSettings& s, const std::string& window,
                           const std::string& stride) {
  try {
    check_methods(s.methods);
    xai::parse_target(s.target);
    xai::parse_reduce(s.reduce);
    s.method.window = parse_extent("window", window);
    s.method.stride = parse_extent("stride", stride);
    if (s.method.samples < 1 || s.method.steps < 1 || s.method.batch < 1)
      return "--samples, --steps and --batch must be at least 1";
    if (s.target_class < 1)
      return "--target-class " + std::to_string(s.target_class) +
             ": must be a foreground class (>= 1)";
  } catch (const Error& e) {
    return e.what();
  } catch (const po::error& e) {
    return e.what();
  }
  return "";
}

std::string method_help() {
  std::string help = "comma-separated attribution methods:";
  for (const auto& m : xai::attribution_methods()) help += "\n  " + m.name + ": " + m.help;
  return help;
}

}  // namespace

int cmd_explain(int argc, char** argv) {
  xai::ExplainSettings s;
  InferenceFlags flags;
  std::string window = "8", stride = "8";
  CommandLine cmd{"explain", "unetx explain -i COHORT -m CHECKPOINT -o DIR [options]"};
  // clang-format off
  cmd.options.add_options()
      ("input,i", path_value(&s.input)->required(), "cohort: manifest CSV, dataset.json or folder")
      ("model,m", path_value(&s.model)->required(), "checkpoint")
      ("output,o", path_value(&s.output)->required(),
       "output folder: <case>_<method>.nii.gz (on the original grid), <case>_<method>.png, "
       "manifest.csv (a column per map), faithfulness.csv (with --faithfulness)")
      ("method", po::value(&s.methods)->default_value(s.methods), method_help().c_str())
      ("layer", po::value(&s.method.layer),
       "Grad-CAM tap, e.g. decoder.1 (default: decoder.1); all = one map per encoder/decoder "
       "stage (<case>_gradcam_<tap>.nii.gz); mhex_cam: mhex.i.cam (default mhex.0.cam)")
      ("target", po::value(&s.target)->default_value(s.target),
       "region explained: predicted | border (its voxels with a 4-/6-neighbour outside) | "
       "mask:FILE (non-zero voxels; {case_id} in FILE is replaced) | box:z0,y0,x0,z1,y1,x1 "
       "(original voxels, end exclusive)")
      ("reduce", po::value(&s.reduce)->default_value(s.reduce),
       "sum | mean of the class logits over the region (per window)")
      ("target-class", po::value(&s.target_class)->default_value(s.target_class),
       "class whose logits are explained")
      ("baseline", po::value(&s.baseline)->default_value(s.baseline),
       "reference input of deeplift, integrated_gradients, occlusion and the deletion/insertion "
       "curves: zeros | blur (Gaussian, sigma 4 voxels) | FILE (image on the case's grid)")
      ("samples", po::value(&s.method.samples)->default_value(s.method.samples),
       "smoothgrad: noisy copies")
      ("noise", po::value(&s.method.noise)->default_value(s.method.noise, "0.15"),
       "smoothgrad: sigma as a fraction of the window's intensity range")
      ("steps", po::value(&s.method.steps)->default_value(s.method.steps),
       "integrated_gradients: steps")
      ("batch", po::value(&s.method.batch)->default_value(s.method.batch),
       "copies (IG steps, SmoothGrad samples, occluded inputs) per forward pass")
      ("window", po::value(&window)->default_value(window), "occlusion patch: N or Z,Y,X voxels")
      ("stride", po::value(&stride)->default_value(stride), "occlusion stride: N or Z,Y,X voxels")
      ("faithfulness", po::bool_switch(&s.faithfulness),
       "score every map on one window per case: infidelity, max-sensitivity, deletion and "
       "insertion AUC -> faithfulness.csv")
      ("excitations", po::bool_switch(&s.excitations),
       "squeeze-and-excitation models: collect the channel gates (se.i) of every window over "
       "the cohort -> excitations.json (per stage: channel mean, variance, and the linear "
       "excitation threshold = principal components for 95% of the covariance's energy)")
      ("faithfulness-samples",
       po::value(&s.faithfulness_options.samples)->default_value(s.faithfulness_options.samples),
       "perturbations for infidelity and max-sensitivity")
      ("infidelity-noise",
       po::value(&s.faithfulness_options.noise)->default_value(s.faithfulness_options.noise, "0.1"),
       "infidelity: Gaussian sigma as a fraction of the window's standard deviation")
      ("sensitivity-radius",
       po::value(&s.faithfulness_options.radius)->default_value(s.faithfulness_options.radius),
       "max-sensitivity: radius as a fraction of the window's intensity range")
      ("curve-steps",
       po::value(&s.faithfulness_options.steps)->default_value(s.faithfulness_options.steps),
       "deletion / insertion curve steps");
  // clang-format on
  add_inference_options(cmd.options, flags);
  return run_command(cmd, argc, argv, [&](const GlobalOptions& g, dist::Communicator& comm) {
    // A usage error: exit 2 with one line (the cohort is not touched), before any model loads.
    if (const std::string problem = option_problem(s, window, stride); !problem.empty()) {
      std::cerr << "unetx explain: " << problem << "\n";
      return 2;
    }
    s.inference = to_inference_options(flags);
    s.model_load = to_model_load_options(flags);
    s.device = g.device;
    s.seed = g.seed;
    return finish("explain", xai::run_explain(s, comm));
  });
}

}  // namespace unetx::cli
