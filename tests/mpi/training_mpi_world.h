// The MPI communicator shared by the tests of test_mpi_training (set up in its main).
#pragma once

#include "distributed/mpi_communicator.h"

namespace unetx::testing {

extern dist::Mpi* world;

}  // namespace unetx::testing
