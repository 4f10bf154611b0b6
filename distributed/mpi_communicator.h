// MPI communicator for CPU tensors (Open MPI). Initialises MPI on construction when nobody
// else has, finalises on destruction when it initialised.
#pragma once

#include "distributed/communicator.h"

namespace unetx::dist {

class Mpi final : public Communicator {
 public:
  Mpi();
  ~Mpi() override;
  Mpi(const Mpi&) = delete;
  Mpi& operator=(const Mpi&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  int local_rank() const override { return local_rank_; }
  std::string backend() const override { return "mpi"; }
  void allreduce_sum(at::Tensor& t) override;
  // MPI_Iallreduce in place; the handle's test() calls MPI_Test, which is what moves the data.
  std::unique_ptr<PendingReduce> allreduce_sum_async(at::Tensor& t) override;
  void broadcast(at::Tensor& t, int root) override;
  void barrier() override;
  std::vector<std::string> gather_strings(const std::string& mine, int root) override;
  [[noreturn]] void abort(int exit_code) override;

 private:
  int rank_ = 0;
  int size_ = 1;
  int local_rank_ = 0;
  bool owns_mpi_ = false;
};

}  // namespace unetx::dist
