// unetx: dispatches `unetx <command> ...` to the command's function; one table drives both
// dispatch and `unetx --help`.
#include <cstring>
#include <iostream>
#include <string>

#include "cmd/commands.h"
#include "pipeline/allocator.h"

#ifndef UNETX_VERSION
#define UNETX_VERSION "dev"
#endif

namespace {

struct Command {
  const char* name;
  int (*run)(int, char**);
  const char* summary;
};

constexpr Command kCommands[] = {
    {"preprocess", unetx::cli::cmd_preprocess, "cohort -> normalized, resampled cases + plan.json"},
    {"train", unetx::cli::cmd_train, "preprocessed cohort -> checkpoints"},
    {"predict", unetx::cli::cmd_predict, "cohort + checkpoint -> label maps on the original grid"},
    {"explain", unetx::cli::cmd_explain, "cohort + checkpoint -> Grad-CAM maps + PNG overlays"},
    {"uncertainty", unetx::cli::cmd_uncertainty,
     "cohort + checkpoint -> MC-dropout entropy maps + per-case scores"},
    {"evaluate", unetx::cli::cmd_evaluate,
     "predictions + references -> metrics.csv + summary.json"},
    {"synth", unetx::cli::cmd_synth, "write a synthetic phantom cohort"},
    {"info", unetx::cli::cmd_info, "geometry and intensity summary of an image"},
    {"demo", unetx::cli::cmd_demo, "the whole chain on the bundled Colin27 data"},
    {"models", unetx::cli::cmd_models, "the networks of the zoo: parameters, GFLOPs, taps"},
};

void print_help(std::ostream& out) {
  out << "unetx " << UNETX_VERSION << ": medical image segmentation for whole cohorts\n\n"
      << "Usage: unetx <command> [options]    (unetx <command> --help for its options)\n\n"
      << "Commands:\n";
  for (const auto& c : kCommands) {
    std::string name = c.name;
    name.resize(13, ' ');
    out << "  " << name << c.summary << "\n";
  }
  out << "\nExit codes: 0 every case ok, 1 some work failed, 2 usage error.\n";
}

}  // namespace

int main(int argc, char** argv) {
  unetx::pipeline::tune_allocator();
  if (argc < 2) {
    print_help(std::cerr);
    return 2;
  }
  const std::string first = argv[1];
  if (first == "--help" || first == "-h" || first == "help") {
    print_help(std::cout);
    return 0;
  }
  if (first == "--version") {
    std::cout << "unetx " << UNETX_VERSION << "\n";
    return 0;
  }
  for (const auto& c : kCommands)
    if (first == c.name) return c.run(argc - 1, argv + 1);
  std::cerr << "unetx: unknown command '" << first << "' (see `unetx --help`)\n";
  return 2;
}
