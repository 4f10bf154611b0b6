// A file's bytes mapped into memory instead of read: for the uncompressed .nii cases
// `unetx preprocess` writes for training. The voxels are then used in place (the NIfTI reader's
// zero-copy path), pages come from the page cache on first touch, and the ranks of a training job
// on one node share one copy of the cohort in memory instead of holding one each.
#pragma once

#include <filesystem>

#include "io/gzip_inflate.h"

namespace unetx::io {

// The whole file, mapped privately: writes to the buffer (e.g. an in-place op on a tensor that
// borrows it) go to private copies of the touched pages and never reach the file, and a file
// replaced later by an atomic rename leaves this mapping on the old contents. The mapping ends
// when the last copy of `data` goes. An empty file gives an empty buffer. Throws
// unetx::Error(path, ...) when the file cannot be opened or mapped.
Bytes map_file_bytes(const std::filesystem::path& path);

// `size` zero bytes backed by an unnamed file in `dir` (shared mapping), not by memory: the
// kernel writes touched pages back to the file and may drop them, so a buffer far larger than
// the free memory (the class probabilities of a whole CT) can be filled piece by piece. The
// file has no name from the start (O_TMPFILE, or unlinked at once where the file system lacks
// it), so nothing is left behind when the process dies. Pick `dir` on a disk, not a tmpfs.
// Throws unetx::Error(dir, ...) when the file cannot be created, sized or mapped.
Bytes map_scratch_bytes(size_t size, const std::filesystem::path& dir);

}  // namespace unetx::io
