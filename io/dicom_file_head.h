// What a folder scan learns about one DICOM image file, kept so that the series read does not
// parse the file a second time: its header and, when the pixel values lie in the file exactly
// as stored (uncompressed little endian), where they lie, so the read is one pread per file.
#pragma once

#include <dcmtk/dcmdata/dcfilefo.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "io/dicom_instance.h"

namespace unetx::io {

namespace fs = std::filesystem;

// Size and modification time of a file: a file whose stamp changed since its head was read is
// parsed again.
struct FileStamp {
  int64_t size = -1;  // -1: the file could not be stat'ed
  int64_t mtime_ns = 0;
  bool operator==(const FileStamp& o) const { return size == o.size && mtime_ns == o.mtime_ns; }
};

FileStamp file_stamp(const fs::path& path);

struct DicomFileHead {
  DicomInstanceHeader header;
  FileStamp stamp;            // taken before the file was parsed
  int64_t pixel_offset = -1;  // byte offset of the PixelData value; -1: not stored plainly
  int64_t pixel_length = 0;   // its length in bytes (at least the frames' bytes)
  bool explicit_vr = true;    // transfer syntax: explicit or implicit VR little endian
};

// The head of `file` (loaded with its large values left on disk: loadFile with a maximum read
// length; `stamp` taken before loading), or nullptr when its image header cannot be read: the
// series read then parses the file fully and reports the problem itself.
std::shared_ptr<const DicomFileHead> read_file_head(DcmFileFormat& file, const fs::path& path,
                                                    const FileStamp& stamp);

// The stored pixel bytes of every frame (rows x columns x frames x BitsAllocated/8) of a file
// whose head has a pixel_offset, read into `buffer` with one pread together with the element
// header in front of them, which must be PixelData's. Returns the first pixel byte (inside
// `buffer`). Throws unetx::Error(path, ...) when the file changed since its head was read,
// cannot be read, or the element header is not PixelData's.
const uint8_t* read_plain_pixels(const DicomFileHead& head, std::vector<uint8_t>& buffer);

}  // namespace unetx::io
