// What the ranks of a data-parallel training job agree on: one set of starting weights, the
// averaged gradient of every step, batch-norm statistics with --sync-bn, and the step at which
// they all stop when any of them is signalled. With one rank each is a no-op (or a local check).
#pragma once

#include "distributed/communicator.h"
#include "models/segmentation_model.h"
#include "models/sync_batch_norm.h"

namespace unetx::pipeline {

// Rank 0's parameters copied to every rank (before the first step).
void broadcast_parameters(models::SegmentationModel& model, dist::Communicator& comm);

// Every parameter's gradient replaced by its mean over ranks: a plain blocking allreduce per
// parameter after backward, skipping parameters without a gradient (ranks must agree on those).
// The trainer uses dist::GradientBuckets instead; bench_distributed compares the two.
void average_gradients(models::SegmentationModel& model, dist::Communicator& comm);

// True on every rank when a stop was requested on any rank (pipeline/stop_request.h); marks the
// request locally too, so the caller's later checks agree.
bool any_rank_stopping(dist::Communicator& comm);

// Synchronized batch norm's sums (models/sync_batch_norm.h) over the ranks of `comm`.
class CommunicatorBatchStatistics : public models::BatchStatisticsReducer {
 public:
  explicit CommunicatorBatchStatistics(dist::Communicator& comm) : comm_(comm) {}
  void sum(at::Tensor& t) override { comm_.allreduce_sum(t); }
  int ranks() const override { return comm_.size(); }

 private:
  dist::Communicator& comm_;
};

}  // namespace unetx::pipeline
