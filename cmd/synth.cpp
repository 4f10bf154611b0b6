// unetx synth: parse options, call pipeline::run_synth.
#include "cmd/cli.h"
#include "cmd/commands.h"
#include "pipeline/synth_run.h"

namespace unetx::cli {

int cmd_synth(int argc, char** argv) {
  pipeline::SynthSettings s;
  std::string size = "64,64,48";
  bool fixed_geometry = false;
  std::string format;
  CommandLine cmd{"synth", "unetx synth -o DIR [options]"};
  // clang-format off
  cmd.options.add_options()
      ("output,o", path_value(&s.output)->required(), "output folder: images/, labels/, manifest.csv")
      ("cases", po::value(&s.phantom.cases)->default_value(s.phantom.cases), "number of cases")
      ("size", po::value(&size)->default_value(size), "image size x,y,z in voxels")
      ("labels", po::value(&s.phantom.labels)->default_value(s.phantom.labels), "foreground structures (label values 1..N)")
      ("noise", po::value(&s.phantom.noise)->default_value(s.phantom.noise), "Gaussian noise, relative to the structures' contrast")
      ("format", po::value(&format)->default_value("nifti"), "images as nifti (.nii.gz) or dicom (a series folder per case)")
      ("fixed-geometry", po::bool_switch(&fixed_geometry),
       "identity direction, unit spacing, zero origin (default: random anisotropic spacing and rotation)");
  // clang-format on
  return run_command(cmd, argc, argv, [&](const GlobalOptions& g, dist::Communicator& comm) {
    auto v = parse_numbers("size", size, 3);
    s.phantom.size_xyz = {int64_t(v[0]), int64_t(v[1]), int64_t(v[2])};
    s.phantom.random_geometry = !fixed_geometry;
    if (format != "nifti" && format != "dicom") throw po::error("--format must be nifti or dicom");
    s.dicom = format == "dicom";
    s.phantom.seed = g.seed;
    if (s.phantom.cases < 1) throw po::error("--cases must be at least 1");
    return finish("synth", pipeline::run_synth(s, comm));
  });
}

}  // namespace unetx::cli
