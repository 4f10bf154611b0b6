// Main of test_mpi_training, which runs under `mpirun -n 2`: MPI is initialised once for all of
// its tests, and only rank 0 prints results (every rank's failures still set its exit code).
#include <gtest/gtest.h>

#include "distributed/mpi_communicator.h"
#include "training_mpi_world.h"

namespace unetx::testing {

dist::Mpi* world = nullptr;

}  // namespace unetx::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  unetx::dist::Mpi mpi;
  unetx::testing::world = &mpi;
  if (mpi.rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  const int rc = RUN_ALL_TESTS();
  // A rank that failed must fail the run even if the other passed: sum the codes.
  at::Tensor failed = at::full({1}, rc != 0 ? 1 : 0, at::kInt);
  mpi.allreduce_sum(failed);
  return failed.item<int>() != 0 ? 1 : 0;
}
