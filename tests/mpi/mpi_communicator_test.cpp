// Runs under `mpirun -n 2`: every collective of the MPI communicator against values each rank
// can compute by hand. Its own main so MPI is initialised once for all tests.
#include "distributed/mpi_communicator.h"

#include <gtest/gtest.h>

#include "distributed/communicator.h"
#include "mpi_test_main.h"

namespace unetx::dist {
namespace {

Mpi* comm = nullptr;

TEST(MpiCommunicator, SeesTwoRanks) {
  EXPECT_EQ(comm->size(), 2);
  EXPECT_TRUE(launched_by_mpi());
  EXPECT_EQ(comm->backend(), "mpi");
}

TEST(MpiCommunicator, AllreduceSumsEveryRank) {
  // Rank r contributes (r+1) * [1, 2, 3]; the sum over 2 ranks is 3 * [1, 2, 3].
  at::Tensor t = at::arange(1, 4, at::kFloat) * (comm->rank() + 1);
  comm->allreduce_sum(t);
  EXPECT_TRUE(t.equal(at::arange(1, 4, at::kFloat) * 3));
  at::Tensor l = at::full({2}, comm->rank() + 10, at::kLong);
  comm->allreduce_sum(l);
  EXPECT_EQ(l[0].item<int64_t>(), 21);
}

TEST(MpiCommunicator, BroadcastCopiesRootsTensor) {
  at::Tensor t = comm->rank() == 0 ? at::full({4}, 7.5, at::kDouble) : at::zeros({4}, at::kDouble);
  comm->broadcast(t, 0);
  EXPECT_TRUE(t.equal(at::full({4}, 7.5, at::kDouble)));
}

TEST(MpiCommunicator, GatherStringsInRankOrder) {
  auto all = comm->gather_strings(std::string(comm->rank() + 1, 'a' + comm->rank()), 0);
  if (comm->rank() == 0) {
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0], "a");
    EXPECT_EQ(all[1], "bb");
  } else {
    EXPECT_TRUE(all.empty());
  }
}

TEST(MpiCommunicator, RejectsNonContiguousTensors) {
  at::Tensor t = at::zeros({4, 4}).t();
  EXPECT_THROW(comm->allreduce_sum(t), std::invalid_argument);
}

}  // namespace
}  // namespace unetx::dist

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  unetx::dist::Mpi mpi;
  unetx::dist::comm = &mpi;
  return unetx::testing::run_all_tests_on_every_rank(mpi);
}
