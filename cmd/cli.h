// What every command file shares: the global options (declared and documented once), parsing
// with --help and --config, the runtime setup, and the mapping of outcomes to exit codes
// (0 all cases ok, 1 some work failed, 2 usage error).
#pragma once

#include <boost/program_options.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "distributed/communicator.h"
#include "pipeline/cohort_runner.h"

namespace unetx::cli {

namespace po = boost::program_options;

struct GlobalOptions {
  int threads = 0;  // 0: SLURM_CPUS_PER_TASK, else the cores available
  std::string device = "cpu";
  uint64_t seed = 0;
  std::string log_level = "info";
  std::string config;
  std::string backend = "auto";
};

struct CommandLine {
  CommandLine(std::string name_, std::string usage_)
      : name(std::move(name_)), usage(std::move(usage_)) {}
  std::string name;   // "predict"
  std::string usage;  // first help line, e.g. "unetx predict -i COHORT -m CKPT -o DIR [options]"
  po::options_description options{"Options", 100};
  po::positional_options_description positional;
};

using Body = std::function<int(const GlobalOptions&, dist::Communicator&)>;

// Parses argv (argv[0] is the command name) into the variables bound in `cmd.options`, then runs
// `body`. --help prints usage to stdout and returns 0; bad options print one line and return 2.
int run_command(CommandLine& cmd, int argc, char** argv, const Body& body);

// Logs the failed cases by id and returns the summary's exit code.
int finish(const std::string& command, const pipeline::RunSummary& summary);

// Option value helpers for types Boost cannot parse on its own. Each binds to `target`.
po::typed_value<std::string>* path_value(std::filesystem::path* target);
po::typed_value<std::string>* path_value(std::filesystem::path* target, const std::string& def);
// "1.5,1.5,3" -> {1.5, 1.5, 3}; `count` 0 accepts any length.
std::vector<double> parse_numbers(const std::string& option, const std::string& text,
                                  size_t count = 0);

}  // namespace unetx::cli
