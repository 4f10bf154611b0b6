// Synchronized batch norm: in data-parallel training, every rank normalises with the mean and
// variance of the GLOBAL batch (all ranks' samples), so 2 ranks with batch b train exactly as
// 1 rank with batch 2b, and small per-rank batches (one 3-D patch per GPU) still get usable
// batch statistics. The models library knows no MPI: the trainer installs a reducer
// (pipeline/data_parallel) for the duration of a run; without one, or with one rank, the layer
// is plain batch norm.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <ostream>
#include <utility>

namespace unetx::models {

// Sums tensors over the ranks of a data-parallel job (in place).
class BatchStatisticsReducer {
 public:
  virtual ~BatchStatisticsReducer() = default;
  virtual void sum(at::Tensor& t) = 0;
  virtual int ranks() const = 0;
};

// Installs `reducer` for every synchronized batch-norm layer of this process until destroyed
// (one at a time; the reducer must outlive it).
class ScopedBatchNormSync {
 public:
  explicit ScopedBatchNormSync(BatchStatisticsReducer& reducer);
  ~ScopedBatchNormSync();
  ScopedBatchNormSync(const ScopedBatchNormSync&) = delete;
  ScopedBatchNormSync& operator=(const ScopedBatchNormSync&) = delete;
};

// Training-mode batch norm of `x` [N, C, spatial...] over every rank's batch: per-channel
// sums, sums of squares and counts are summed with `reducer` in forward, and the two sums the
// input gradient needs in backward. Gradients of weight and bias are this rank's share (the
// data-parallel gradient average adds them up). Updates running_mean / running_var (unbiased
// variance, like torch::batch_norm). `weight`/`bias` may be undefined (affine = false).
torch::Tensor sync_batch_norm(const torch::Tensor& x, const torch::Tensor& weight,
                              const torch::Tensor& bias, torch::Tensor running_mean,
                              torch::Tensor running_var, double momentum, double eps,
                              BatchStatisticsReducer& reducer);

// The installed reducer, or nullptr.
BatchStatisticsReducer* installed_batch_statistics_reducer();

// Batch norm over [N, C, spatial...] with torch::nn::BatchNorm{2,3}d's options, parameters and
// buffers (same names, so checkpoints are interchangeable), which synchronises in training mode
// while a reducer with more than one rank is installed. Its own module rather than a subclass:
// LibTorch does not export what a subclass of its batch-norm template needs to link.
template <size_t D>
class SyncBatchNormImpl : public torch::nn::Cloneable<SyncBatchNormImpl<D>> {
 public:
  explicit SyncBatchNormImpl(torch::nn::BatchNormOptions options) : options(std::move(options)) {
    reset();
  }

  void reset() override {
    const int64_t c = options.num_features();
    if (options.affine()) {
      weight = this->register_parameter("weight", torch::ones({c}));
      bias = this->register_parameter("bias", torch::zeros({c}));
    }
    if (options.track_running_stats()) {
      running_mean = this->register_buffer("running_mean", torch::zeros({c}));
      running_var = this->register_buffer("running_var", torch::ones({c}));
      num_batches_tracked = this->register_buffer("num_batches_tracked", torch::zeros({}, torch::kLong));
    }
  }

  torch::Tensor forward(const torch::Tensor& x) {
    const bool training = this->is_training();
    double momentum = 0.0;
    if (training && options.track_running_stats()) {
      num_batches_tracked += 1;
      momentum = options.momentum() ? *options.momentum()
                                    : 1.0 / num_batches_tracked.template item<double>();
    }
    BatchStatisticsReducer* reducer = installed_batch_statistics_reducer();
    if (training && options.track_running_stats() && reducer && reducer->ranks() > 1)
      return sync_batch_norm(x, weight, bias, running_mean, running_var, momentum, options.eps(),
                             *reducer);
    return torch::batch_norm(x, weight, bias, running_mean, running_var,
                             training || !options.track_running_stats(), momentum, options.eps(),
                             /*cudnn_enabled=*/true);
  }

  void pretty_print(std::ostream& stream) const override {
    stream << "unetx::models::SyncBatchNorm" << D << "d(" << options.num_features()
           << ", eps=" << options.eps() << ")";
  }

  torch::nn::BatchNormOptions options;
  torch::Tensor weight, bias, running_mean, running_var, num_batches_tracked;
};

TORCH_MODULE_IMPL(SyncBatchNorm2d, SyncBatchNormImpl<2>);
TORCH_MODULE_IMPL(SyncBatchNorm3d, SyncBatchNormImpl<3>);

}  // namespace unetx::models
