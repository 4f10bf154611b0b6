// NCCL communicator for CUDA tensors: one process per GPU; rank 0 creates the NCCL unique id
// and MPI broadcasts it, so the job needs MPI (mpirun or srun --mpi=pmix) to start.
// Built only with -DUNETX_WITH_NCCL=ON. Collectives run on this communicator's own stream and
// are synchronised before returning, so callers see finished results; allreduce_sum_async only
// enqueues, and its handle waits on a CUDA event. The stream is a blocking one (cudaStreamCreate),
// so it is ordered after work LibTorch queued on the legacy default stream (e.g. the copy of a
// gradient into its bucket).
#pragma once

#include <memory>

#include "distributed/communicator.h"

namespace unetx::dist {

class Mpi;

class Nccl final : public Communicator {
 public:
  Nccl();
  ~Nccl() override;
  Nccl(const Nccl&) = delete;
  Nccl& operator=(const Nccl&) = delete;

  int rank() const override;
  int size() const override;
  int local_rank() const override;
  std::string backend() const override { return "nccl"; }
  void allreduce_sum(at::Tensor& t) override;
  std::unique_ptr<PendingReduce> allreduce_sum_async(at::Tensor& t) override;
  void broadcast(at::Tensor& t, int root) override;
  void barrier() override;
  std::vector<std::string> gather_strings(const std::string& mine, int root) override;
  [[noreturn]] void abort(int exit_code) override;

 private:
  struct State;
  std::unique_ptr<Mpi> mpi_;  // bootstrap + string gathers + barriers
  std::unique_ptr<State> state_;
};

}  // namespace unetx::dist
