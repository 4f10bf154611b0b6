#include "distributed/work_queue.h"

#include <mpi.h>

#include <stdexcept>
#include <string>

namespace unetx::dist {
namespace {

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw std::runtime_error(std::string("work queue: MPI call failed: ") + what);
}

class LocalQueue final : public WorkQueue {
 public:
  explicit LocalQueue(int64_t count) : count_(count) {}
  std::optional<int64_t> next() override {
    if (next_ >= count_) return std::nullopt;
    return next_++;
  }
  int64_t count() const override { return count_; }

 private:
  int64_t count_;
  int64_t next_ = 0;
};

// The counter is one int64 in an MPI window on rank 0; every rank (rank 0 too) takes an index
// with MPI_Fetch_and_op(+1) under a shared lock. On one node Open MPI maps the window into
// shared memory (osc/sm) and the fetch is a CPU atomic; across nodes an RDMA network does it
// in hardware. Rank 0 never has to stop its own case to serve the others, which a request
// thread would need and the communicator's MPI_THREAD_FUNNELED level does not allow.
class MpiQueue final : public WorkQueue {
 public:
  MpiQueue(int rank, int64_t count) : count_(count) {
    // Own communicator: the window's traffic can never match the job's other messages.
    check(MPI_Comm_dup(MPI_COMM_WORLD, &comm_), "MPI_Comm_dup");
    MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
    const MPI_Aint bytes = rank == 0 ? static_cast<MPI_Aint>(sizeof(int64_t)) : 0;
    check(MPI_Win_allocate(bytes, sizeof(int64_t), MPI_INFO_NULL, comm_, &counter_, &win_),
          "MPI_Win_allocate");
    if (rank == 0) {
      // Local stores to window memory belong in an epoch, so remote fetches see them.
      check(MPI_Win_lock(MPI_LOCK_EXCLUSIVE, 0, 0, win_), "MPI_Win_lock");
      *counter_ = 0;
      check(MPI_Win_unlock(0, win_), "MPI_Win_unlock");
    }
    // Nobody fetches before the counter is zeroed.
    check(MPI_Barrier(comm_), "MPI_Barrier");
  }

  ~MpiQueue() override {
    // Collective: every rank finished drawing before the window goes away.
    MPI_Win_free(&win_);
    MPI_Comm_free(&comm_);
  }

  MpiQueue(const MpiQueue&) = delete;
  MpiQueue& operator=(const MpiQueue&) = delete;

  std::optional<int64_t> next() override {
    if (drained_) return std::nullopt;
    const int64_t one = 1;
    int64_t taken = 0;
    check(MPI_Win_lock(MPI_LOCK_SHARED, 0, 0, win_), "MPI_Win_lock");
    check(MPI_Fetch_and_op(&one, &taken, MPI_INT64_T, 0, 0, MPI_SUM, win_), "MPI_Fetch_and_op");
    check(MPI_Win_unlock(0, win_), "MPI_Win_unlock");
    // The counter keeps counting past the end; an index beyond it means the queue is empty.
    if (taken >= count_) {
      drained_ = true;
      return std::nullopt;
    }
    return taken;
  }
  int64_t count() const override { return count_; }

 private:
  int64_t count_;
  bool drained_ = false;
  MPI_Comm comm_ = MPI_COMM_NULL;
  MPI_Win win_ = MPI_WIN_NULL;
  int64_t* counter_ = nullptr;
};

}  // namespace

std::unique_ptr<WorkQueue> make_work_queue(Communicator& comm, int64_t count) {
  if (count < 0) throw std::invalid_argument("work queue: negative count");
  if (comm.size() == 1) return std::make_unique<LocalQueue>(count);
  int initialised = 0;
  MPI_Initialized(&initialised);
  int world = 0;
  if (initialised) MPI_Comm_size(MPI_COMM_WORLD, &world);
  // Every multi-rank communicator (Mpi, and Nccl through its MPI bootstrap) spans MPI_COMM_WORLD.
  if (world != comm.size())
    throw std::runtime_error("work queue: a " + std::to_string(comm.size()) +
                             "-rank " + comm.backend() + " communicator without a matching MPI job");
  return std::make_unique<MpiQueue>(comm.rank(), count);
}

}  // namespace unetx::dist
