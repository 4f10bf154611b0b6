// unetx info: print the geometry and intensity summary of an image (text or JSON on stdout).
#include <iostream>

#include "cmd/cli.h"
#include "cmd/commands.h"
#include "io/image_io.h"
#include "io/image_summary.h"

namespace unetx::cli {

int cmd_info(int argc, char** argv) {
  std::filesystem::path path;
  bool json = false;
  CommandLine cmd{"info", "unetx info PATH [--json]"};
  // clang-format off
  cmd.options.add_options()
      ("path", path_value(&path)->required(), "image file (NIfTI, MHA, NRRD, ...)")
      ("json", po::bool_switch(&json), "print JSON instead of text");
  // clang-format on
  cmd.positional.add("path", 1);
  return run_command(cmd, argc, argv, [&](const GlobalOptions&, dist::Communicator&) {
    io::ImageSummary summary = io::summarize(io::read_image(path));
    if (json)
      std::cout << io::to_json(summary).dump(2) << "\n";
    else
      std::cout << io::to_text(summary);
    return 0;
  });
}

}  // namespace unetx::cli
