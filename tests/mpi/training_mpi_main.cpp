// Main of test_mpi_training, which runs under `mpirun -n 2`: MPI is initialised once for all of
// its tests.
#include <gtest/gtest.h>

#include "distributed/mpi_communicator.h"
#include "mpi_test_main.h"
#include "training_mpi_world.h"

namespace unetx::testing {

dist::Mpi* world = nullptr;

}  // namespace unetx::testing

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  unetx::dist::Mpi mpi;
  unetx::testing::world = &mpi;
  return unetx::testing::run_all_tests_on_every_rank(mpi);
}
