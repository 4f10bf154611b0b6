#include "cmd/cli.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <iostream>
#include <sstream>

#include "io/error.h"
#include "pipeline/runtime.h"

namespace unetx::cli {
namespace {

void add_global_options(po::options_description& desc, GlobalOptions& g) {
  po::options_description global("Global options", 100);
  // clang-format off
  global.add_options()
      ("threads", po::value(&g.threads)->default_value(0),
       "intra-op threads; 0 = SLURM_CPUS_PER_TASK, else the cores available")
      ("device", po::value(&g.device)->default_value("cpu"), "cpu | cuda | cuda:N")
      ("seed", po::value(&g.seed)->default_value(0), "seed of every random choice")
      ("log-level", po::value(&g.log_level)->default_value("info"),
       "trace | debug | info | warn | error | off (logs go to stderr)")
      ("backend", po::value(&g.backend)->default_value("auto"),
       "process group: auto (MPI when started by mpirun/srun) | single | mpi | nccl")
      ("config", po::value(&g.config), "read options from this INI file (command line wins)")
      ("help,h", "print this help and exit");
  // clang-format on
  desc.add(global);
}

void check_device(const std::string& device) {
  if (device == "cpu") return;
  if (device.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available())
      throw po::error("--device " + device + ": no CUDA device available to this LibTorch");
    return;
  }
  throw po::error("--device " + device + ": expected cpu, cuda or cuda:N");
}

}  // namespace

po::typed_value<std::string>* path_value(std::filesystem::path* target) {
  return po::value<std::string>()->notifier([target](const std::string& v) { *target = v; });
}

po::typed_value<std::string>* path_value(std::filesystem::path* target, const std::string& def) {
  *target = def;
  return path_value(target)->default_value(def);
}

std::vector<double> parse_numbers(const std::string& option, const std::string& text,
                                  size_t count) {
  std::vector<double> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    try {
      size_t used = 0;
      out.push_back(std::stod(item, &used));
      if (used != item.size()) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw po::error("--" + option + " " + text + ": '" + item + "' is not a number");
    }
  }
  if (out.empty() || (count > 0 && out.size() != count))
    throw po::error("--" + option + " " + text + ": expected " +
                    (count ? std::to_string(count) + " comma-separated numbers" : "numbers"));
  return out;
}

int run_command(CommandLine& cmd, int argc, char** argv, const Body& body) {
  const std::string prefix = "unetx " + cmd.name + ": ";
  GlobalOptions g;
  po::options_description all(100);
  all.add(cmd.options);
  add_global_options(all, g);
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(all).positional(cmd.positional).run(),
              vm);
    if (vm.count("help")) {
      std::cout << "Usage: " << cmd.usage << "\n\n" << all << "\n";
      return 0;
    }
    if (vm.count("config")) {
      const std::string file = vm["config"].as<std::string>();
      try {
        po::store(po::parse_config_file<char>(file.c_str(), all), vm);
      } catch (const po::reading_file&) {
        throw po::error("--config " + file + ": cannot read the file");
      }
    }
    po::notify(vm);
    check_device(g.device);
    pipeline::configure_logging(cmd.name, g.log_level, 0);
  } catch (const Error& e) {  // a bad option value found by the library (e.g. --log-level)
    std::cerr << prefix << e.what() << "\n";
    return 2;
  } catch (const po::error& e) {
    std::cerr << prefix << e.what() << "\n(see `unetx " << cmd.name << " --help`)\n";
    return 2;
  }
  std::unique_ptr<dist::Communicator> comm;
  // With several ranks, a rank that fails alone would leave the others waiting in a collective
  // it never joins: it says which rank it is and ends every rank (Communicator::abort).
  auto fail = [&](int code, const std::string& message, bool usage) -> int {
    const bool ranks = comm && comm->size() > 1;
    std::cerr << prefix;
    if (ranks) std::cerr << "rank " << comm->rank() << " of " << comm->size() << " failed: ";
    std::cerr << message << (ranks ? "; ending every rank" : "") << "\n";
    if (usage) std::cerr << "(see `unetx " << cmd.name << " --help`)\n";
    if (ranks) comm->abort(code);
    return code;
  };
  try {
    comm = dist::make_communicator(g.backend);
    pipeline::configure_logging(cmd.name, g.log_level, comm->rank());
    pipeline::configure_compute(g.threads, g.seed);
    return body(g, *comm);
  } catch (const po::error& e) {  // an option value the command checked itself
    return fail(2, e.what(), true);
  } catch (const std::exception& e) {  // unetx::Error and anything else
    return fail(1, e.what(), false);
  }
}

int finish(const std::string& command, const pipeline::RunSummary& summary) {
  if (summary.failed > 0) {
    std::string ids;
    for (const auto& id : summary.failed_ids) ids += (ids.empty() ? "" : ", ") + id;
    spdlog::error("{} of {} case(s) failed: {}", summary.failed, summary.ok + summary.failed, ids);
  } else {
    spdlog::info("{}: {} case(s) ok", command, summary.ok);
  }
  return summary.exit_code();
}

}  // namespace unetx::cli
