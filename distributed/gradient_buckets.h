// Gradient buckets (fusion buffers) for data-parallel training: the gradients of many small
// parameters are summed over ranks as a few large messages, and each message starts as soon as
// backward has produced every gradient in it, so communication overlaps the rest of backward.
//
// Parameters are grouped in reverse registration order (the order backward produces their
// gradients: the last layer first) into buckets of at most `bucket_bytes`; a parameter larger
// than that gets a bucket of its own. Each bucket is one persistent flat buffer. A hook on every
// parameter copies its gradient into its place in the bucket; when a bucket is complete, and
// every bucket before it has started, its non-blocking sum starts (so ranks start their sums in
// the same order whatever their graphs did). finish() then starts the rest, waits for all,
// divides by the number of ranks and copies the means back into the parameters' gradients.
//
// A parameter that got no gradient in a step contributes zeros; after finish() every trainable
// parameter has a defined gradient, the mean over ranks, on every rank alike.
// With one rank there are no hooks, no buffers and no copies: finish() does nothing.
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "distributed/communicator.h"

namespace unetx::dist {

// Which parameters (indices into `parameters`) each bucket holds, in the order the buckets are
// reduced. Parameters that do not require a gradient are left out; a bucket holds one dtype on
// one device. `bucket_bytes` must be > 0.
std::vector<std::vector<size_t>> assign_buckets(const std::vector<at::Tensor>& parameters,
                                                int64_t bucket_bytes);

class GradientBuckets {
 public:
  // `parameters` in registration order (model.parameters()); they must outlive this object.
  // Expects one backward pass per finish(), with gradients zeroed (or undefined) before it.
  GradientBuckets(std::vector<at::Tensor> parameters, Communicator& comm, int64_t bucket_bytes);
  ~GradientBuckets();
  GradientBuckets(const GradientBuckets&) = delete;
  GradientBuckets& operator=(const GradientBuckets&) = delete;

  // After backward: every gradient replaced by its mean over ranks (see above).
  void finish();

  const std::vector<std::vector<size_t>>& buckets() const { return members_; }
  // Buckets whose sum started inside backward (not in finish) during the last step.
  int started_in_backward() const { return started_in_backward_; }
  // Seconds the last finish() spent waiting for sums and copying back.
  double finish_seconds() const { return finish_seconds_; }

 private:
  struct Bucket;
  void on_gradient(size_t param, const at::Tensor& grad);
  void start(size_t bucket);
  void start_ready_buckets();

  std::vector<at::Tensor> params_;
  Communicator& comm_;
  std::vector<std::vector<size_t>> members_;
  std::vector<Bucket> buckets_;
  std::vector<std::pair<size_t, size_t>> place_;  // parameter -> (bucket, slot)
  std::vector<std::pair<size_t, unsigned>> hooks_;  // (parameter, hook handle)
  size_t next_to_start_ = 0;
  int starting_in_backward_ = 0;  // this step so far
  int started_in_backward_ = 0;   // the last finished step
  double finish_seconds_ = 0.0;
};

}  // namespace unetx::dist
