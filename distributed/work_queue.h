// Dynamic load balancing for cohort commands: the ranks of a job draw task indices from one
// shared counter, so a rank that got small cases simply takes more of them (cases differ a lot
// in size; a fixed round-robin deal leaves ranks idle while one grinds through the big ones).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>

#include "distributed/communicator.h"

namespace unetx::dist {

// Hands out the indices 0 .. count-1, each exactly once over all ranks of the job, in
// increasing order of request. Which rank gets which index depends on timing; callers that
// need a deterministic result order it by index afterwards.
class WorkQueue {
 public:
  virtual ~WorkQueue() = default;
  // The next undone index for this rank, or nullopt once every index has been handed out.
  // Never blocks on another rank's work beyond one atomic fetch-and-add.
  virtual std::optional<int64_t> next() = 0;
  // Total number of indices (the same on every rank).
  virtual int64_t count() const = 0;
};

// The queue for `comm`. Collective: every rank of `comm` must call it with the same `count`,
// and destroy the queue at the same point (the MPI version frees a window, which is collective).
// SingleProcess (or any size-1 communicator) gets a plain counter; more ranks get an MPI
// one-sided counter held by rank 0 (MPI must be initialised, as every multi-rank communicator
// does). Throws std::runtime_error when MPI fails.
std::unique_ptr<WorkQueue> make_work_queue(Communicator& comm, int64_t count);

}  // namespace unetx::dist
