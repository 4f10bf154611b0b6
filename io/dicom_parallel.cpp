#include "io/dicom_parallel.h"

#include <ATen/Parallel.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>

namespace unetx::io {

void prefetch_files(const std::vector<fs::path>& files, int64_t bytes) {
  for (const fs::path& path : files) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    // WILLNEED queues the reads and returns; the pages stay cached after close.
    ::posix_fadvise(fd, 0, static_cast<off_t>(bytes), POSIX_FADV_WILLNEED);
    ::close(fd);
  }
}

void advise_huge_pages(void* data, size_t bytes) {
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + bytes) & ~(kHuge - 1);
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

int dicom_threads() { return std::max(1, at::get_num_threads()); }

void for_each_index(int64_t count, int threads, const std::function<void(int64_t)>& task) {
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> first_failed{count};  // lowest failing index so far
  std::mutex mutex;
  std::exception_ptr first_error;
  const auto work = [&] {
    for (int64_t i = next++; i < count; i = next++) {
      // Indices are handed out in order, so every index below a failure is run to the end.
      if (i > first_failed.load()) continue;
      try {
        task(i);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (i < first_failed.load()) {
          first_failed = i;
          first_error = std::current_exception();
        }
      }
    }
  };
  const int64_t extra = std::min<int64_t>(threads, count) - 1;
  std::vector<std::thread> pool;
  for (int64_t t = 0; t < extra; ++t) {
    try {
      pool.emplace_back(work);
    } catch (const std::system_error&) {
      break;  // fewer threads than asked for: the ones running (and this one) do the rest
    }
  }
  work();
  for (std::thread& t : pool) t.join();
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace unetx::io
