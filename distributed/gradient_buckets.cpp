#include "distributed/gradient_buckets.h"

#include <torch/torch.h>

#include <chrono>
#include <stdexcept>

namespace unetx::dist {

struct GradientBuckets::Bucket {
  at::Tensor flat;                    // every member's gradient, back to back
  std::vector<int64_t> offsets;       // per slot, in elements
  std::vector<bool> ready;            // per slot: its gradient arrived this step
  size_t missing = 0;                 // slots still without a gradient this step
  std::unique_ptr<PendingReduce> sum;  // set once started, until finish() collects it
};

std::vector<std::vector<size_t>> assign_buckets(const std::vector<at::Tensor>& parameters,
                                                int64_t bucket_bytes) {
  if (bucket_bytes <= 0) throw std::invalid_argument("gradient buckets: bucket size must be > 0");
  std::vector<std::vector<size_t>> buckets;
  int64_t bytes = 0;
  for (size_t k = parameters.size(); k-- > 0;) {
    const at::Tensor& p = parameters[k];
    if (!p.requires_grad()) continue;
    const int64_t size = p.numel() * static_cast<int64_t>(p.element_size());
    bool fits = !buckets.empty() && bytes + size <= bucket_bytes;
    if (fits) {
      const at::Tensor& first = parameters[buckets.back().front()];
      fits = first.scalar_type() == p.scalar_type() && first.device() == p.device();
    }
    if (!fits) {
      buckets.emplace_back();
      bytes = 0;
    }
    buckets.back().push_back(k);
    bytes += size;
  }
  return buckets;
}

GradientBuckets::GradientBuckets(std::vector<at::Tensor> parameters, Communicator& comm,
                                 int64_t bucket_bytes)
    : params_(std::move(parameters)),
      comm_(comm),
      members_(assign_buckets(params_, bucket_bytes)),
      place_(params_.size(), {0, 0}) {
  if (comm_.size() == 1) return;
  buckets_.resize(members_.size());
  for (size_t b = 0; b < members_.size(); ++b) {
    Bucket& bucket = buckets_[b];
    int64_t numel = 0;
    for (size_t s = 0; s < members_[b].size(); ++s) {
      const size_t k = members_[b][s];
      place_[k] = {b, s};
      bucket.offsets.push_back(numel);
      numel += params_[k].numel();
    }
    bucket.flat = at::zeros({numel}, params_[members_[b].front()].options().requires_grad(false));
    bucket.ready.assign(members_[b].size(), false);
    bucket.missing = members_[b].size();
  }
  for (const auto& members : members_)
    for (size_t k : members)
      hooks_.emplace_back(k, params_[k].register_hook([this, k](const at::Tensor& grad) {
        on_gradient(k, grad);
      }));
}

GradientBuckets::~GradientBuckets() {
  for (const auto& [k, handle] : hooks_) params_[k].remove_hook(handle);
  // Bucket destructors wait for sums still in flight (e.g. after an exception in backward).
}

void GradientBuckets::on_gradient(size_t k, const at::Tensor& grad) {
  const auto [b, s] = place_[k];
  Bucket& bucket = buckets_[b];
  if (bucket.sum) {
    throw std::logic_error("gradient buckets: a second backward pass before finish()");
  }
  bucket.flat.narrow(0, bucket.offsets[s], grad.numel()).view(grad.sizes()).copy_(grad);
  if (!bucket.ready[s]) {
    bucket.ready[s] = true;
    --bucket.missing;
  }
  start_ready_buckets();
  // MPI moves a non-blocking message only inside MPI calls: poll the sums in flight.
  for (size_t i = 0; i < next_to_start_; ++i) buckets_[i].sum->test();
}

void GradientBuckets::start(size_t b) {
  buckets_[b].sum = comm_.allreduce_sum_async(buckets_[b].flat);
}

void GradientBuckets::start_ready_buckets() {
  while (next_to_start_ < buckets_.size() && buckets_[next_to_start_].missing == 0) {
    start(next_to_start_++);
    ++starting_in_backward_;
  }
}

void GradientBuckets::finish() {
  if (comm_.size() == 1) return;
  const auto t0 = std::chrono::steady_clock::now();
  started_in_backward_ = starting_in_backward_;
  starting_in_backward_ = 0;
  for (; next_to_start_ < buckets_.size(); ++next_to_start_) {
    Bucket& bucket = buckets_[next_to_start_];
    for (size_t s = 0; s < bucket.ready.size(); ++s) {
      if (bucket.ready[s]) continue;
      const int64_t n = params_[members_[next_to_start_][s]].numel();
      bucket.flat.narrow(0, bucket.offsets[s], n).zero_();
    }
    start(next_to_start_);
  }
  torch::NoGradGuard no_grad;
  const double ranks = static_cast<double>(comm_.size());
  for (size_t b = 0; b < buckets_.size(); ++b) {
    Bucket& bucket = buckets_[b];
    bucket.sum->wait();
    bucket.sum.reset();
    bucket.flat.div_(ranks);
    for (size_t s = 0; s < members_[b].size(); ++s) {
      at::Tensor& p = params_[members_[b][s]];
      const at::Tensor mean = bucket.flat.narrow(0, bucket.offsets[s], p.numel()).view(p.sizes());
      if (p.grad().defined()) {
        p.mutable_grad().copy_(mean);
      } else {
        p.mutable_grad() = mean.clone();
      }
    }
    bucket.ready.assign(bucket.ready.size(), false);
    bucket.missing = bucket.ready.size();
  }
  next_to_start_ = 0;
  finish_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace unetx::dist
