// The end of every `mpirun -n 2` test binary's main: only rank 0 prints results, and the run
// fails when a test failed on any rank (each rank's failures are summed over the ranks).
#pragma once

#include <gtest/gtest.h>

#include "distributed/mpi_communicator.h"

namespace unetx::testing {

inline int run_all_tests_on_every_rank(dist::Mpi& mpi) {
  if (mpi.rank() != 0) {
    auto& listeners = ::testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
  }
  const int rc = RUN_ALL_TESTS();
  at::Tensor failed = at::full({1}, rc != 0 ? 1 : 0, at::kInt);
  mpi.allreduce_sum(failed);
  return failed.item<int>() != 0 ? 1 : 0;
}

}  // namespace unetx::testing
