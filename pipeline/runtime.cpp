#include "pipeline/runtime.h"

#include <sched.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <cstdlib>
#include <thread>

#include "io/error.h"

namespace unetx::pipeline {

int default_threads() {
  if (const char* slurm = std::getenv("SLURM_CPUS_PER_TASK")) {
    int n = std::atoi(slurm);
    if (n > 0) return n;
  }
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return n;
  }
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

void configure_logging(const std::string& command, const std::string& level, int rank) {
  auto parsed = spdlog::level::from_str(level);
  // from_str maps unknown names to "off"; only accept "off" when it was asked for.
  if (parsed == spdlog::level::off && level != "off")
    throw Error("--log-level", "unknown level '" + level + "' (trace|debug|info|warn|error|off)");
  auto logger = spdlog::get("unetx");
  if (!logger) logger = spdlog::stderr_color_mt("unetx");
  std::string prefix = rank > 0 ? "[unetx " + command + " r" + std::to_string(rank) + "] "
                                : "[unetx " + command + "] ";
  logger->set_pattern(prefix + "%^%l%$: %v");
  if (rank > 0 && parsed < spdlog::level::warn) parsed = spdlog::level::warn;
  logger->set_level(parsed);
  spdlog::set_default_logger(logger);
}

void configure_compute(int threads, uint64_t seed) {
  at::set_num_threads(threads > 0 ? threads : default_threads());
  torch::manual_seed(seed);
}

}  // namespace unetx::pipeline
