// unetx preprocess: parse options, call pipeline::run_preprocess.
#include <cmath>
#include <sstream>

#include "cmd/cli.h"
#include "cmd/commands.h"
#include "pipeline/orientation.h"
#include "pipeline/preprocess_run.h"

namespace unetx::cli {

namespace {

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string part; std::getline(ss, part, ',');) out.push_back(part);
  return out;
}

std::array<int64_t, 3> parse_patch(const std::string& option, const std::string& text) {
  const auto v = parse_numbers(option, text, 3);
  for (double x : v)
    if (x < 1 || x != std::floor(x)) throw po::error("--" + option + " needs whole voxel counts");
  return {int64_t(v[0]), int64_t(v[1]), int64_t(v[2])};
}

}  // namespace

int cmd_preprocess(int argc, char** argv) {
  pipeline::PreprocessSettings s;
  std::string spacing, patch, patch_old, features = "32,64,128,256", label_names, normalization;
  bool no_crop = false;
  CommandLine cmd{"preprocess", "unetx preprocess -i COHORT -o DIR [options]"};
  // clang-format off
  cmd.options.add_options()
      ("input,i", path_value(&s.input)->required(),
       "cohort: manifest CSV, MSD dataset.json, or folder of images")
      ("output,o", path_value(&s.output)->required(), "output folder")
      ("spacing", po::value(&spacing), "target spacing x,y,z in mm (default: cohort median; 10th percentile on a coarse anisotropic axis)")
      ("dims", po::value(&s.spatial_dims)->default_value(3), "network: 3 (volumetric) or 2 (slice-wise along z)")
      ("patch-size", po::value(&patch), "patch size x,y,z in voxels (default: largest that fits --memory-budget; z=1 for 2-D)")
      ("patch", po::value(&patch_old), "same as --patch-size")
      ("batch-size", po::value(&s.batch_size)->default_value(0), "patches per step; 0 = as many as fit --memory-budget (at least 2)")
      ("memory-budget", po::value(&s.memory_budget_gb)->default_value(4.0), "training memory in GB the patch and batch are chosen for")
      ("features", po::value(&features)->default_value(features), "U-Net widths per level, last = bottleneck; the patch size may use fewer levels")
      ("normalization", po::value(&normalization), "zscore | zscore_nonzero | ct, or one per channel comma-separated (default: ct for CT, zscore otherwise)")
      ("no-crop", po::bool_switch(&no_crop), "keep whole images (default: crop each case to its nonzero box)")
      ("orientation", po::value(&s.orientation)->default_value(s.orientation), "LPS: permute/flip every case's axes to x=left, y=posterior, z=superior (exact, undone on output); native: keep axes as stored")
      ("dropout", po::value(&s.dropout)->default_value(0.1), "dropout after bottleneck and decoder stages (MC dropout needs > 0)")
      ("norm", po::value(&s.norm)->default_value("instance"), "instance | batch | group | none")
      ("label-names", po::value(&label_names), "comma-separated names, index = label value (default background,label_1,...)");
  // clang-format on
  return run_command(cmd, argc, argv, [&](const GlobalOptions&, dist::Communicator& comm) {
    if (s.spatial_dims != 2 && s.spatial_dims != 3) throw po::error("--dims must be 2 or 3");
    if (!(s.memory_budget_gb > 0)) throw po::error("--memory-budget must be positive");
    if (s.batch_size < 0) throw po::error("--batch-size must be 0 (from the budget) or more");
    if (!patch.empty() && !patch_old.empty())
      throw po::error("give --patch-size or --patch, not both");
    if (!spacing.empty()) {
      auto v = parse_numbers("spacing", spacing, 3);
      s.target_spacing = std::array<double, 3>{v[0], v[1], v[2]};
    }
    if (!patch.empty()) s.patch_size = parse_patch("patch-size", patch);
    if (!patch_old.empty()) s.patch_size = parse_patch("patch", patch_old);
    s.features.clear();
    for (double f : parse_numbers("features", features)) s.features.push_back(int64_t(f));
    if (s.features.size() < 2) throw po::error("--features needs at least 2 widths");
    s.label_names = split_commas(label_names);
    s.normalization = split_commas(normalization);
    for (const auto& scheme : s.normalization)
      if (!pipeline::is_normalization_scheme(scheme))
        throw po::error("--normalization " + scheme + ": expected zscore, zscore_nonzero or ct");
    s.crop_to_nonzero = !no_crop;
    if (!pipeline::is_orientation(s.orientation))
      throw po::error("--orientation " + s.orientation + ": expected LPS or native");
    return finish("preprocess", pipeline::run_preprocess(s, comm));
  });
}

}  // namespace unetx::cli
