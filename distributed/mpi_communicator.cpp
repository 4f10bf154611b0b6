#include "distributed/mpi_communicator.h"

#include <mpi.h>

#include <stdexcept>
#include <utility>

namespace unetx::dist {
namespace {

MPI_Datatype mpi_type(const at::Tensor& t) {
  switch (t.scalar_type()) {
    case at::kFloat:
      return MPI_FLOAT;
    case at::kDouble:
      return MPI_DOUBLE;
    case at::kInt:
      return MPI_INT;
    case at::kLong:
      return MPI_INT64_T;
    case at::kByte:
      return MPI_UINT8_T;
    default:
      throw std::invalid_argument(std::string("MPI communicator: unsupported dtype ") +
                                  std::string(c10::toString(t.scalar_type())));
  }
}

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw std::runtime_error(std::string("MPI call failed: ") + what);
}

void require_cpu_contiguous(const at::Tensor& t) {
  if (!t.device().is_cpu() || !t.is_contiguous())
    throw std::invalid_argument("MPI communicator needs contiguous CPU tensors");
}

// An MPI_Iallreduce in flight. Holds a reference to the tensor so its storage outlives the
// request even if the caller drops its own handle first.
class MpiPendingReduce final : public PendingReduce {
 public:
  MpiPendingReduce(MPI_Request request, at::Tensor buffer)
      : request_(request), buffer_(std::move(buffer)) {}
  ~MpiPendingReduce() override {
    // A destructor must not throw: a failed wait here means the job is already going down.
    if (request_ != MPI_REQUEST_NULL) MPI_Wait(&request_, MPI_STATUS_IGNORE);
  }
  void wait() override {
    if (request_ == MPI_REQUEST_NULL) return;
    check(MPI_Wait(&request_, MPI_STATUS_IGNORE), "MPI_Wait (allreduce)");
  }
  bool test() override {
    if (request_ == MPI_REQUEST_NULL) return true;
    int done = 0;
    check(MPI_Test(&request_, &done, MPI_STATUS_IGNORE), "MPI_Test (allreduce)");
    return done != 0;
  }

 private:
  MPI_Request request_;
  at::Tensor buffer_;
};

}  // namespace

Mpi::Mpi() {
  int initialised = 0;
  MPI_Initialized(&initialised);
  if (!initialised) {
    int provided = 0;
    // Funneled: only the main thread calls MPI; the loader's threads never do.
    check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    owns_mpi_ = true;
  }
  // Errors come back as codes (turned into exceptions) instead of killing the job silently.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  MPI_Comm node;
  MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node);
  MPI_Comm_rank(node, &local_rank_);
  MPI_Comm_free(&node);
}

Mpi::~Mpi() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (owns_mpi_ && !finalized) MPI_Finalize();
}

void Mpi::allreduce_sum(at::Tensor& t) {
  require_cpu_contiguous(t);
  check(MPI_Allreduce(MPI_IN_PLACE, t.data_ptr(), static_cast<int>(t.numel()), mpi_type(t), MPI_SUM,
                      MPI_COMM_WORLD),
        "MPI_Allreduce");
}

std::unique_ptr<PendingReduce> Mpi::allreduce_sum_async(at::Tensor& t) {
  require_cpu_contiguous(t);
  MPI_Request request = MPI_REQUEST_NULL;
  check(MPI_Iallreduce(MPI_IN_PLACE, t.data_ptr(), static_cast<int>(t.numel()), mpi_type(t),
                       MPI_SUM, MPI_COMM_WORLD, &request),
        "MPI_Iallreduce");
  return std::make_unique<MpiPendingReduce>(request, t);
}

void Mpi::broadcast(at::Tensor& t, int root) {
  require_cpu_contiguous(t);
  check(MPI_Bcast(t.data_ptr(), static_cast<int>(t.numel()), mpi_type(t), root, MPI_COMM_WORLD),
        "MPI_Bcast");
}

void Mpi::barrier() { check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier"); }

std::vector<std::string> Mpi::gather_strings(const std::string& mine, int root) {
  int length = static_cast<int>(mine.size());
  std::vector<int> lengths(rank_ == root ? size_ : 0);
  check(MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, root, MPI_COMM_WORLD),
        "MPI_Gather");
  std::vector<int> offsets(lengths.size(), 0);
  int total = 0;
  for (size_t i = 0; i < lengths.size(); ++i) {
    offsets[i] = total;
    total += lengths[i];
  }
  std::string all(static_cast<size_t>(total), '\0');
  check(MPI_Gatherv(mine.data(), length, MPI_CHAR, all.data(), lengths.data(), offsets.data(),
                    MPI_CHAR, root, MPI_COMM_WORLD),
        "MPI_Gatherv");
  std::vector<std::string> out;
  for (size_t i = 0; i < lengths.size(); ++i) out.push_back(all.substr(offsets[i], lengths[i]));
  return out;
}

void Mpi::abort(int exit_code) {
  MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::_Exit(exit_code);
}

}  // namespace unetx::dist
