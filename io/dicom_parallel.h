// Reading the files of a DICOM folder with every core: the kernel is asked to read the files
// ahead (so a cold read streams from the disk while the parser works), and per-file work runs
// on a small thread pool whose errors are reported as a serial loop would report them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <vector>

namespace unetx::io {

namespace fs = std::filesystem;

// Asks the kernel to start reading the first `bytes` bytes (0: the whole file) of every file
// into the page cache (posix_fadvise POSIX_FADV_WILLNEED; returns at once). Only a hint:
// files that cannot be opened are ignored here and reported by whoever reads them.
void prefetch_files(const std::vector<fs::path>& files, int64_t bytes = 0);

// Asks the kernel to back `bytes` bytes at `data` (a fresh buffer about to be filled) with
// transparent huge pages (madvise MADV_HUGEPAGE on its 2 MiB-aligned interior), so filling a
// volume takes a few hundred page faults instead of one per 4 KiB. Only a hint; ignored where
// the kernel does not support it.
void advise_huge_pages(void* data, size_t bytes);

// Threads for per-file DICOM work: at::get_num_threads(), at least 1.
int dicom_threads();

// Runs task(i) for every i in [0, count) on up to `threads` threads (1: in order on the calling
// thread), each index exactly once, indices handed out in increasing order. When tasks throw,
// the exception of the lowest failing index is rethrown after all threads have stopped, so the
// error is the one a serial loop would have reported first; indices above a known failure may
// be skipped. Tasks must not share mutable state except through their own index's slot.
void for_each_index(int64_t count, int threads, const std::function<void(int64_t)>& task);

}  // namespace unetx::io
