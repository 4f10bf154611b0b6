// Process-wide runtime settings every command applies before work starts: log level and sink,
// intra-op threads and the global seed.
#pragma once

#include <cstdint>
#include <string>

namespace unetx::pipeline {

// Threads to use when the user gave none: SLURM_CPUS_PER_TASK when set (a SLURM step must not
// use more than it was given), else the cores this process may run on (affinity mask).
int default_threads();

// Logs go to stderr with a "[unetx <command>]" prefix; `level` is trace|debug|info|warn|error|off.
// Only rank 0 logs below warn, so N ranks do not print N copies of every line.
// Throws unetx::Error("--log-level", ...) on an unknown level.
void configure_logging(const std::string& command, const std::string& level, int rank);

// Sets LibTorch's intra-op threads (it defaults to 1 here) and seeds torch's generator.
void configure_compute(int threads, uint64_t seed);

}  // namespace unetx::pipeline
