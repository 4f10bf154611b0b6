// How the process allocates tensor memory: one process-wide setting, applied first thing in
// main() by the program and by every benchmark (header-only, so benchmarks that link models/
// alone can apply it too).
#pragma once

#include <malloc.h>

namespace unetx::pipeline {

// Makes glibc's malloc keep freed tensor memory for reuse instead of handing it back to the
// kernel. By default every block above the mmap threshold (adaptive, at most 32 MB) is mapped on
// allocation and unmapped on free, so each of the many activations of tens of MB in a training
// step or a batched forward comes back as fresh pages that the kernel faults in and zeroes 4 KiB
// at a time: about a third of an fp32 training step on this CPU (bench_train, 3-D U-Net: 2.1-2.2
// s per step before, 1.4-1.6 s after). Blocks up to 256 MB now come from the heap and up to 256
// MB of free memory stays at its top; larger blocks (whole volumes) are still mapped and
// returned at once. Call before any thread starts.
inline void tune_allocator() {
  constexpr int kHeapBlocks = 256 << 20;
  mallopt(M_MMAP_THRESHOLD, kHeapBlocks);
  mallopt(M_TRIM_THRESHOLD, kHeapBlocks);
}

}  // namespace unetx::pipeline
