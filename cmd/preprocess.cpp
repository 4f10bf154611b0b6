// unetx preprocess: parse options, call pipeline::run_preprocess.
#include "cmd/cli.h"
#include "cmd/commands.h"
#include "pipeline/preprocess_run.h"

namespace unetx::cli {

int cmd_preprocess(int argc, char** argv) {
  pipeline::PreprocessSettings s;
  std::string spacing, patch, features = "32,64,128,256", label_names;
  CommandLine cmd{"preprocess", "unetx preprocess -i COHORT -o DIR [options]"};
  // clang-format off
  cmd.options.add_options()
      ("input,i", path_value(&s.input)->required(),
       "cohort: manifest CSV, MSD dataset.json, or folder of images")
      ("output,o", path_value(&s.output)->required(), "output folder")
      ("spacing", po::value(&spacing), "target spacing x,y,z in mm (default: cohort median)")
      ("dims", po::value(&s.spatial_dims)->default_value(3), "network: 3 (volumetric) or 2 (slice-wise along z)")
      ("patch", po::value(&patch), "patch size x,y,z in voxels (default: from the data; z=1 for 2-D)")
      ("batch-size", po::value(&s.batch_size)->default_value(0), "patches per step; 0 = 2 (3-D) or 8 (2-D)")
      ("features", po::value(&features)->default_value(features), "U-Net widths per level, last = bottleneck")
      ("dropout", po::value(&s.dropout)->default_value(0.1), "dropout after bottleneck and decoder stages (MC dropout needs > 0)")
      ("norm", po::value(&s.norm)->default_value("instance"), "instance | batch | group | none")
      ("label-names", po::value(&label_names), "comma-separated names, index = label value (default background,label_1,...)");
  // clang-format on
  return run_command(cmd, argc, argv, [&](const GlobalOptions&, dist::Communicator& comm) {
    if (s.spatial_dims != 2 && s.spatial_dims != 3) throw po::error("--dims must be 2 or 3");
    if (!spacing.empty()) {
      auto v = parse_numbers("spacing", spacing, 3);
      s.target_spacing = std::array<double, 3>{v[0], v[1], v[2]};
    }
    if (!patch.empty()) {
      auto v = parse_numbers("patch", patch, 3);
      s.patch_size = std::array<int64_t, 3>{int64_t(v[0]), int64_t(v[1]), int64_t(v[2])};
    }
    s.features.clear();
    for (double f : parse_numbers("features", features)) s.features.push_back(int64_t(f));
    std::stringstream names(label_names);
    for (std::string n; std::getline(names, n, ',');) s.label_names.push_back(n);
    return finish("preprocess", pipeline::run_preprocess(s, comm));
  });
}

}  // namespace unetx::cli
