#include "pipeline/data_parallel.h"

#include <torch/torch.h>

#include "pipeline/stop_request.h"

namespace unetx::pipeline {

void average_gradients(models::SegmentationModel& model, dist::Communicator& comm) {
  if (comm.size() == 1) return;
  for (auto& p : model.parameters()) {
    if (!p.grad().defined()) continue;
    at::Tensor g = p.grad().contiguous();
    comm.allreduce_sum(g);
    p.mutable_grad() = g.div_(comm.size());
  }
}

void broadcast_parameters(models::SegmentationModel& model, dist::Communicator& comm) {
  if (comm.size() == 1) return;
  torch::NoGradGuard no_grad;
  for (auto& p : model.parameters()) {
    at::Tensor t = p.detach().contiguous();
    comm.broadcast(t, 0);
    p.copy_(t);
  }
}

// A scheduler may signal only some ranks; all stop at the same step so the saved state is one
// consistent step of the whole job.
bool any_rank_stopping(dist::Communicator& comm) {
  if (comm.size() == 1) return stop_requested();
  at::Tensor flag = at::full({1}, stop_requested() ? 1.0f : 0.0f);
  comm.allreduce_sum(flag);
  if (flag.item<float>() > 0) request_stop();
  return flag.item<float>() > 0;
}

}  // namespace unetx::pipeline
