// Communicator: what data-parallel training and sharded cohort commands need from a process
// group, independent of the transport. SingleProcess needs no MPI at all; Mpi moves CPU tensors;
// Nccl (built with UNETX_WITH_NCCL) moves CUDA tensors and uses MPI only to share its unique id.
#pragma once

#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

namespace unetx::dist {

// A sum started by Communicator::allreduce_sum_async and not yet known to be finished.
// Destroying it waits for it, so its buffer is never freed or reused while the transport may
// still write into it.
class PendingReduce {
 public:
  virtual ~PendingReduce() = default;
  // Blocks until the sum is in the tensor; later calls return at once.
  virtual void wait() = 0;
  // Never blocks: lets the transport move data (MPI progresses only inside its calls) and says
  // whether the sum has finished.
  virtual bool test() = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Rank among the processes on this node (picks the GPU).
  virtual int local_rank() const = 0;
  virtual std::string backend() const = 0;

  // In-place sum over all ranks; `t` must be contiguous and identical in shape on every rank.
  virtual void allreduce_sum(at::Tensor& t) = 0;
  // Starts the same in-place sum and returns at once; `t` must stay alive and untouched until
  // the returned handle's wait(). Ranks must start their sums in the same order. The default
  // runs the blocking sum and returns a finished handle.
  virtual std::unique_ptr<PendingReduce> allreduce_sum_async(at::Tensor& t);
  // In-place copy of root's tensor to every rank.
  virtual void broadcast(at::Tensor& t, int root) = 0;
  virtual void barrier() = 0;
  // Every rank contributes a string; root receives all of them in rank order (others get {}).
  virtual std::vector<std::string> gather_strings(const std::string& mine, int root) = 0;
  // Ends every rank of the job promptly (a failed rank must not leave the others hanging).
  [[noreturn]] virtual void abort(int exit_code) = 0;

  bool is_root() const { return rank() == 0; }
};

class SingleProcess final : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  int local_rank() const override { return 0; }
  std::string backend() const override { return "single"; }
  void allreduce_sum(at::Tensor&) override {}
  void broadcast(at::Tensor&, int) override {}
  void barrier() override {}
  std::vector<std::string> gather_strings(const std::string& mine, int) override { return {mine}; }
  [[noreturn]] void abort(int exit_code) override;
};

// True when this process was started by mpirun/srun with more than one rank (from the
// OMPI_COMM_WORLD_SIZE / PMIX_RANK / SLURM_NTASKS environment), so MPI must be initialised.
bool launched_by_mpi();

// The communicator for this process: Mpi when launched by mpirun/srun, else SingleProcess.
// `backend` is "auto", "single", "mpi" or "nccl"; "nccl" without UNETX_WITH_NCCL throws.
std::unique_ptr<Communicator> make_communicator(const std::string& backend = "auto");

}  // namespace unetx::dist
