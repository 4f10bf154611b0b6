#include "distributed/nccl/nccl_communicator.h"

#include <cuda_runtime.h>
#include <mpi.h>
#include <nccl.h>

#include <stdexcept>
#include <string>
#include <utility>

#include "distributed/mpi_communicator.h"

namespace unetx::dist {
namespace {

void check_nccl(ncclResult_t rc, const char* what) {
  if (rc != ncclSuccess)
    throw std::runtime_error(std::string(what) + " failed: " + ncclGetErrorString(rc));
}

void check_cuda(cudaError_t rc, const char* what) {
  if (rc != cudaSuccess)
    throw std::runtime_error(std::string(what) + " failed: " + cudaGetErrorString(rc));
}

ncclDataType_t nccl_type(const at::Tensor& t) {
  switch (t.scalar_type()) {
    case at::kFloat:
      return ncclFloat32;
    case at::kHalf:
      return ncclFloat16;
    case at::kBFloat16:
      return ncclBfloat16;
    case at::kDouble:
      return ncclFloat64;
    case at::kInt:
      return ncclInt32;
    case at::kLong:
      return ncclInt64;
    case at::kByte:
      return ncclUint8;
    default:
      throw std::invalid_argument("NCCL communicator: unsupported dtype");
  }
}

void require_cuda_contiguous(const at::Tensor& t) {
  if (!t.device().is_cuda() || !t.is_contiguous())
    throw std::invalid_argument("NCCL communicator needs contiguous CUDA tensors");
}

// An ncclAllReduce queued on the communicator's stream, finished when its event is.
class NcclPendingReduce final : public PendingReduce {
 public:
  NcclPendingReduce(cudaEvent_t done, at::Tensor buffer) : done_(done), buffer_(std::move(buffer)) {}
  ~NcclPendingReduce() override {
    if (done_) {
      cudaEventSynchronize(done_);
      cudaEventDestroy(done_);
    }
  }
  void wait() override {
    if (!done_) return;
    check_cuda(cudaEventSynchronize(done_), "cudaEventSynchronize");
    cudaEventDestroy(done_);
    done_ = nullptr;
  }
  bool test() override {
    if (!done_) return true;
    const cudaError_t rc = cudaEventQuery(done_);
    if (rc == cudaErrorNotReady) return false;
    check_cuda(rc, "cudaEventQuery");
    return true;
  }

 private:
  cudaEvent_t done_;
  at::Tensor buffer_;
};

}  // namespace

struct Nccl::State {
  ncclComm_t comm = nullptr;
  cudaStream_t stream = nullptr;
};

Nccl::Nccl() : mpi_(std::make_unique<Mpi>()), state_(std::make_unique<State>()) {
  check_cuda(cudaSetDevice(mpi_->local_rank()), "cudaSetDevice");
  ncclUniqueId id;
  if (mpi_->rank() == 0) check_nccl(ncclGetUniqueId(&id), "ncclGetUniqueId");
  MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, MPI_COMM_WORLD);
  check_nccl(ncclCommInitRank(&state_->comm, mpi_->size(), id, mpi_->rank()), "ncclCommInitRank");
  check_cuda(cudaStreamCreate(&state_->stream), "cudaStreamCreate");
}

Nccl::~Nccl() {
  if (state_->comm) ncclCommDestroy(state_->comm);
  if (state_->stream) cudaStreamDestroy(state_->stream);
}

int Nccl::rank() const { return mpi_->rank(); }
int Nccl::size() const { return mpi_->size(); }
int Nccl::local_rank() const { return mpi_->local_rank(); }

void Nccl::allreduce_sum(at::Tensor& t) {
  require_cuda_contiguous(t);
  check_nccl(ncclAllReduce(t.data_ptr(), t.data_ptr(), static_cast<size_t>(t.numel()), nccl_type(t),
                           ncclSum, state_->comm, state_->stream),
             "ncclAllReduce");
  check_cuda(cudaStreamSynchronize(state_->stream), "cudaStreamSynchronize");
}

std::unique_ptr<PendingReduce> Nccl::allreduce_sum_async(at::Tensor& t) {
  require_cuda_contiguous(t);
  check_nccl(ncclAllReduce(t.data_ptr(), t.data_ptr(), static_cast<size_t>(t.numel()), nccl_type(t),
                           ncclSum, state_->comm, state_->stream),
             "ncclAllReduce");
  cudaEvent_t done = nullptr;
  check_cuda(cudaEventCreateWithFlags(&done, cudaEventDisableTiming), "cudaEventCreate");
  check_cuda(cudaEventRecord(done, state_->stream), "cudaEventRecord");
  return std::make_unique<NcclPendingReduce>(done, t);
}

void Nccl::broadcast(at::Tensor& t, int root) {
  require_cuda_contiguous(t);
  check_nccl(ncclBroadcast(t.data_ptr(), t.data_ptr(), static_cast<size_t>(t.numel()), nccl_type(t),
                           root, state_->comm, state_->stream),
             "ncclBroadcast");
  check_cuda(cudaStreamSynchronize(state_->stream), "cudaStreamSynchronize");
}

void Nccl::barrier() { mpi_->barrier(); }

std::vector<std::string> Nccl::gather_strings(const std::string& mine, int root) {
  return mpi_->gather_strings(mine, root);
}

void Nccl::abort(int exit_code) {
  if (state_->comm) ncclCommAbort(state_->comm);
  mpi_->abort(exit_code);
}

}  // namespace unetx::dist
