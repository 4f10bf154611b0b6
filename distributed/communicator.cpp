#include "distributed/communicator.h"

#include <cstdlib>
#include <stdexcept>

#include "distributed/mpi_communicator.h"
#ifdef UNETX_WITH_NCCL
#include "distributed/nccl/nccl_communicator.h"
#endif

namespace unetx::dist {
namespace {

int env_int(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : 0;
}

class FinishedReduce final : public PendingReduce {
 public:
  void wait() override {}
  bool test() override { return true; }
};

}  // namespace

std::unique_ptr<PendingReduce> Communicator::allreduce_sum_async(at::Tensor& t) {
  allreduce_sum(t);
  return std::make_unique<FinishedReduce>();
}

void SingleProcess::abort(int exit_code) { std::_Exit(exit_code); }

bool launched_by_mpi() {
  // Open MPI's mpirun sets OMPI_COMM_WORLD_SIZE; srun --mpi=pmix sets PMIX_RANK and SLURM_NTASKS.
  if (env_int("OMPI_COMM_WORLD_SIZE") > 1) return true;
  return std::getenv("PMIX_RANK") != nullptr && env_int("SLURM_NTASKS") > 1;
}

std::unique_ptr<Communicator> make_communicator(const std::string& backend) {
  if (backend == "single") return std::make_unique<SingleProcess>();
  if (backend == "mpi") return std::make_unique<Mpi>();
  if (backend == "nccl") {
#ifdef UNETX_WITH_NCCL
    return std::make_unique<Nccl>();
#else
    throw std::invalid_argument("--backend nccl: this unetx was built without UNETX_WITH_NCCL");
#endif
  }
  if (backend != "auto")
    throw std::invalid_argument("--backend " + backend + ": expected auto, single, mpi or nccl");
  if (launched_by_mpi()) return std::make_unique<Mpi>();
  return std::make_unique<SingleProcess>();
}

}  // namespace unetx::dist
