// The no-MPI communicator behaves like a group of one.
#include <gtest/gtest.h>

#include <cstdlib>

#include "distributed/communicator.h"

namespace unetx::dist {
namespace {

TEST(SingleProcess, IsAGroupOfOneAndLeavesTensorsAlone) {
  SingleProcess comm;
  EXPECT_EQ(comm.rank(), 0);
  EXPECT_EQ(comm.size(), 1);
  EXPECT_TRUE(comm.is_root());
  at::Tensor t = at::arange(5, at::kFloat);
  comm.allreduce_sum(t);
  EXPECT_TRUE(t.equal(at::arange(5, at::kFloat)));
  EXPECT_EQ(comm.gather_strings("x", 0), std::vector<std::string>{"x"});
}

TEST(SingleProcess, AutoBackendWithoutLauncherIsSingle) {
  unsetenv("OMPI_COMM_WORLD_SIZE");
  unsetenv("PMIX_RANK");
  EXPECT_FALSE(launched_by_mpi());
  EXPECT_EQ(make_communicator("auto")->backend(), "single");
  EXPECT_THROW(make_communicator("carrier-pigeon"), std::invalid_argument);
}

TEST(SingleProcess, DetectsMpirunEnvironment) {
  setenv("OMPI_COMM_WORLD_SIZE", "4", 1);
  EXPECT_TRUE(launched_by_mpi());
  unsetenv("OMPI_COMM_WORLD_SIZE");
}

}  // namespace
}  // namespace unetx::dist
