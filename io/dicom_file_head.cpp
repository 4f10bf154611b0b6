#include "io/dicom_file_head.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "io/error.h"

namespace unetx::io {
namespace {

constexpr int64_t kElementHeader = 12;  // bytes of an explicit VR OB/OW element header

FileStamp stamp_of(const struct stat& st) {
  return {static_cast<int64_t>(st.st_size),
          static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

int64_t frame_bytes(const DicomInstanceHeader& h) {
  return int64_t{h.rows} * h.columns * h.samples * h.frames * (h.bits_allocated / 8);
}

// The 12 bytes in front of a PixelData value are its element header: tag (7FE0,0010), then
// in explicit VR "OB" or "OW", two reserved bytes and the 32-bit length; in implicit VR the
// last 8 of them are the tag and the length.
bool is_pixel_data_header(const uint8_t* b, bool explicit_vr, int64_t length) {
  static const uint8_t tag[4] = {0xE0, 0x7F, 0x10, 0x00};
  uint32_t stored = 0;
  std::memcpy(&stored, b + 8, 4);
  if (stored != length) return false;
  if (!explicit_vr) return std::memcmp(b + 4, tag, 4) == 0;
  return std::memcmp(b, tag, 4) == 0 && b[4] == 'O' && (b[5] == 'B' || b[5] == 'W') &&
         b[6] == 0 && b[7] == 0;
}

bool pixel_data_header_at(const fs::path& path, int64_t offset, bool explicit_vr,
                          int64_t length) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  uint8_t b[kElementHeader];
  const bool whole = ::pread(fd, b, sizeof b, static_cast<off_t>(offset - kElementHeader)) ==
                     static_cast<ssize_t>(sizeof b);
  ::close(fd);
  return whole && is_pixel_data_header(b, explicit_vr, length);
}

// Sets where the PixelData value starts in the file (pixel_offset, pixel_length), when its
// bytes are the stored values as decode_frames would see them after DCMTK's parse: little
// endian, not encapsulated or deflated, one grey sample per pixel (colour goes through the full
// read, which rereads the photometric interpretation and the planar configuration), left on
// disk by the head read. DCMTK does not say where a value it left on disk starts; but the
// elements behind it (at most a trailing padding, usually none) have the encoded lengths DCMTK
// computes, so the value starts that many bytes, plus its own length, before the end of the
// file; the element header found in front of that place confirms it. Otherwise pixel_offset
// stays -1 (the full read handles the file).
void locate_plain_pixels(DcmDataset& ds, DicomFileHead& head) {
  const DicomInstanceHeader& h = head.header;
  const E_TransferSyntax xfer = ds.getOriginalXfer();
  if (xfer != EXS_LittleEndianImplicit && xfer != EXS_LittleEndianExplicit) return;
  if (h.samples != 1 || (h.photometric != "MONOCHROME1" && h.photometric != "MONOCHROME2")) return;
  DcmElement* pixels = nullptr;
  if (ds.findAndGetElement(DCM_PixelData, pixels).bad() || pixels == nullptr) return;
  if (pixels->valueLoaded()) return;
  int64_t behind = 0;
  for (DcmObject* e = ds.nextInContainer(pixels); e != nullptr; e = ds.nextInContainer(e)) {
    // A sequence may have been written with undefined lengths, whose size is not computed.
    if (e->ident() == EVR_SQ || e->getLengthField() == DCM_UndefinedLength) return;
    behind += e->calcElementLength(xfer, EET_ExplicitLength);
  }
  const int64_t length = pixels->getLength();
  const int64_t offset = head.stamp.size - behind - length;
  // A short value goes through the full read, whose error names the missing bytes.
  if (length < frame_bytes(h) || offset < kElementHeader) return;
  head.explicit_vr = xfer == EXS_LittleEndianExplicit;
  if (!pixel_data_header_at(h.path, offset, head.explicit_vr, length)) return;
  head.pixel_offset = offset;
  head.pixel_length = length;
}

}  // namespace

FileStamp file_stamp(const fs::path& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return {};
  return stamp_of(st);
}

std::shared_ptr<const DicomFileHead> read_file_head(DcmFileFormat& file, const fs::path& path,
                                                    const FileStamp& stamp) {
  if (stamp.size < 0) return nullptr;
  DcmDataset& ds = *file.getDataset();
  auto head = std::make_shared<DicomFileHead>();
  try {
    head->header = read_instance_header(ds, path, DcmXfer(ds.getOriginalXfer()).getXferID());
  } catch (const Error&) {
    return nullptr;
  }
  head->stamp = stamp;
  locate_plain_pixels(ds, *head);
  return head;
}

const uint8_t* read_plain_pixels(const DicomFileHead& head, std::vector<uint8_t>& buffer) {
  const std::string& name = head.header.path.string();
  const int fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(name, std::string("cannot open: ") + std::strerror(errno));
  struct stat st;
  const bool unchanged = ::fstat(fd, &st) == 0 && stamp_of(st) == head.stamp;
  // One read: the element header, then the values behind it.
  buffer.resize(static_cast<size_t>(kElementHeader + frame_bytes(head.header)));
  const int64_t start = head.pixel_offset - kElementHeader;
  size_t done = 0;
  ssize_t got = 1;
  while (unchanged && done < buffer.size() && got != 0) {
    got = ::pread(fd, buffer.data() + done, buffer.size() - done, static_cast<off_t>(start + done));
    if (got < 0 && errno != EINTR) break;
    if (got > 0) done += static_cast<size_t>(got);
  }
  const int read_errno = errno;
  ::close(fd);
  if (!unchanged) throw Error(name, "file changed while the series was being read");
  if (done < buffer.size()) {
    const std::string why = got < 0 ? std::strerror(read_errno) : "unexpected end of file";
    throw Error(name, "cannot read the pixel data: " + why);
  }
  if (!is_pixel_data_header(buffer.data(), head.explicit_vr, head.pixel_length)) {
    throw Error(name, "the pixel data is no longer where the scan found it");
  }
  return buffer.data() + kElementHeader;
}

}  // namespace unetx::io
