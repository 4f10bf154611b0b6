// Series assembly: decode every instance, order the frames geometrically, fill missing
// slices, apply the rescale.
#include "io/dicom_series.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>

#include "io/dicom_codecs.h"
#include "io/dicom_file_head.h"
#include "io/dicom_geometry.h"
#include "io/dicom_instance.h"
#include "io/dicom_parallel.h"
#include "io/dicom_pixels.h"
#include "io/error.h"

namespace unetx::io {
namespace {

// One file of a series after the parallel load: its header and its pixel data, not yet
// unpacked (the file's dataset holds the bytes until its frames are in the volume). A file
// whose scan head says where its plain pixel values lie is not loaded at all: its bytes are
// read straight from the file when its frames are placed.
struct LoadedFile {
  const DicomFileHead* head = nullptr;  // plain pixels at head->pixel_offset
  std::unique_ptr<DcmFileFormat> file;
  DicomInstanceHeader h;
  DicomPixelBytes pixels;    // DCMTK-decoded files
  at::Tensor decoded;        // JPEG 2000 (GDCM) files: (frames, samples, rows, columns)
  std::exception_ptr error;  // what loading this file threw
};

// Per-thread buffer for plain pixel bytes, reused from file to file (a fresh buffer per file
// would cost a page fault per 4 KiB); a buffer grown past this is released after use.
constexpr size_t kKeptPixelBuffer = size_t{16} << 20;

// All frames of a series, in the order of the files.
struct Frames {
  std::vector<DicomFrameInfo> info;
  std::vector<DicomSliceRef> refs;
  std::vector<size_t> first_frame;  // per file: index of its first frame in `info`
  DicomInstanceHeader first;        // header of the first instance (sizes, pixel type)
  std::string transfer_syntax;
};

DicomInstanceHeader load_instance(const fs::path& path, DcmFileFormat& file) {
  const OFCondition status = file.loadFile(path.c_str());
  if (status.bad()) {
    throw Error(path.string(), std::string("cannot read DICOM file: ") + status.text());
  }
  DcmDataset& ds = *file.getDataset();
  const std::string why = non_image_reason(ds);
  if (!why.empty()) throw Error(path.string(), why);
  return read_instance_header(ds, path, DcmXfer(ds.getOriginalXfer()).getXferID());
}

// Loads, parses and decompresses one file (any thread), unless the scan already parsed it,
// its pixels are plain and it has not changed since: then its head is all that is needed
// here, and place_file reads its pixel bytes. Thread safety, from DCMTK 3.6.7's
// headers: the global data dictionary "allows safe read (shared) and write (exclusive) access
// from multiple threads in parallel" (dcmdata/dcdict.h, GlobalDcmDataDictionary), and every
// operation on the codec list "is protected by a read/write lock and, therefore, [is] safe for
// multi-thread applications" (dcmdata/dccodec.h, DcmCodecList); the build defines WITH_THREADS
// (dcmtk/config/osconfig.h). Each DcmFileFormat is used by one thread only, and the codecs and
// DCMTK's global switches are set by register_dicom_codecs() before any thread starts. GDCM
// keeps global state, so JPEG 2000 files are decoded one at a time (process-wide lock).
void load_file(const fs::path& path, const DicomFileHead* head, LoadedFile& f) {
  if (head != nullptr && head->pixel_offset >= 0 && file_stamp(path) == head->stamp) {
    f.head = head;
    f.h = head->header;
    return;
  }
  static std::mutex gdcm_mutex;
  f.file = std::make_unique<DcmFileFormat>();
  f.h = load_instance(path, *f.file);
  if (needs_gdcm(*f.file)) {
    std::lock_guard<std::mutex> lock(gdcm_mutex);
    f.decoded = decode_frames(*f.file, f.h);
    f.file.reset();
  } else {
    f.pixels = prepare_pixels(*f.file, f.h);
  }
}

std::string size_text(const DicomInstanceHeader& h) {
  return std::to_string(h.columns) + "x" + std::to_string(h.rows) +
         (h.samples > 1 ? "x" + std::to_string(h.samples) + " samples" : "");
}

// Checks one file against the series so far and appends its frames; in file order, so the
// first mismatch named is the one a file-by-file read meets first.
void add_instance(const DicomInstanceHeader& h, const std::string& subject, Frames& frames) {
  if (frames.info.empty()) {
    frames.first = h;
    frames.transfer_syntax = h.transfer_syntax_uid;
  } else {
    const DicomInstanceHeader& f = frames.first;
    if (h.rows != f.rows || h.columns != f.columns || h.samples != f.samples) {
      throw Error(subject, "mixed image sizes in one series: " + f.path.filename().string() +
                               " is " + size_text(f) + ", " + h.path.filename().string() + " is " +
                               size_text(h));
    }
    if (h.photometric != f.photometric) {
      throw Error(subject, "mixed photometric interpretations in one series (" + f.photometric +
                               ", " + h.photometric + ")");
    }
    if (stored_dtype(h) != stored_dtype(f)) {
      // Keep the wider type so every file's values fit.
      if (at::promote_types(stored_dtype(h), stored_dtype(f)) == stored_dtype(h)) frames.first = h;
    }
  }
  frames.first_frame.push_back(frames.info.size());
  for (int k = 0; k < h.frames; ++k) {
    frames.info.push_back(h.frame[k]);
    frames.refs.push_back({h.sop_class_uid, h.sop_instance_uid, h.frames > 1 ? k + 1 : 0});
  }
}

bool identity_rescale(const std::vector<DicomFrameInfo>& info) {
  for (const DicomFrameInfo& f : info) {
    if (f.slope != 1.0 || f.intercept != 0.0) return false;
  }
  return true;
}

// Writes the modality values of every frame of file `index` into its z slice of `out`
// (samples, Z, rows, columns), then frees the file's bytes. One copy per voxel when the stored
// type is the volume's type; otherwise the frame is converted (and rescaled in double) first.
void place_file(LoadedFile& f, int index, const Frames& frames, const std::vector<int>& z_of,
                bool identity, at::Tensor& out) {
  thread_local std::vector<uint8_t> plain;
  if (f.head != nullptr) {
    f.pixels = {read_plain_pixels(*f.head, plain), false};
  }
  const DicomInstanceHeader& h = f.h;
  const at::ScalarType type = out.scalar_type();
  const bool direct = !f.decoded.defined() && identity && h.samples == 1 && stored_dtype(h) == type;
  const at::Tensor values = direct                ? at::Tensor()
                            : f.decoded.defined() ? f.decoded
                                                  : unpack_frames(f.pixels, h);
  const int64_t plane = out.size(2) * out.size(3);
  size_t j = frames.first_frame[index];
  for (int k = 0; k < h.frames; ++k, ++j) {
    const int z = z_of[j];
    if (z < 0) continue;
    if (direct) {
      unpack_frame(f.pixels, h, k,
                   static_cast<char*>(out.data_ptr()) + z * plane * out.element_size());
      continue;
    }
    const DicomFrameInfo& info = frames.info[j];
    out.select(1, z).copy_(
        identity ? values[k].to(type)
                 : values[k].to(at::kDouble).mul(info.slope).add(info.intercept).to(type));
  }
  f.file.reset();
  f.decoded = at::Tensor();
  f.pixels = {};
  if (plain.capacity() > kKeptPixelBuffer) plain = {};
}

// A missing slice is the linear interpolation of its two neighbours at its position (rounded
// for integer types); a run of missing slices is filled from the low end up.
void fill_missing(const DicomStack& stack, at::Tensor& out) {
  std::vector<bool> filled(stack.source.size());
  for (size_t z = 0; z < filled.size(); ++z) filled[z] = stack.source[z] >= 0;
  for (size_t z = 0; z < filled.size(); ++z) {
    if (filled[z]) continue;
    size_t before = z - 1, after = z + 1;  // source[0] and source.back() are never missing
    while (!filled[after]) ++after;
    const double t = double(z - before) / double(after - before);
    at::Tensor mixed =
        out.select(1, before).to(at::kDouble) * (1 - t) + out.select(1, after).to(at::kDouble) * t;
    if (!at::isFloatingType(out.scalar_type())) mixed = mixed.round();
    out.select(1, z).copy_(mixed.to(out.scalar_type()));
    filled[z] = true;
  }
}

// The volume (samples, Z, rows, columns): modality values of every frame in z order, in the
// stored type when no frame rescales, else float32.
at::Tensor assemble(const DicomStack& stack, const Frames& frames,
                    std::vector<LoadedFile>& loaded) {
  const bool identity = identity_rescale(frames.info);
  const at::ScalarType type = identity ? stored_dtype(frames.first) : at::kFloat;
  const DicomInstanceHeader& h = frames.first;
  at::Tensor out =
      at::empty({h.samples, static_cast<int64_t>(stack.source.size()), h.rows, h.columns}, type);
  advise_huge_pages(out.data_ptr(), out.nbytes());  // few faults while the files fill it
  std::vector<int> z_of(frames.info.size(), -1);
  for (size_t z = 0; z < stack.source.size(); ++z) {
    if (stack.source[z] >= 0) z_of[stack.source[z]] = static_cast<int>(z);
  }
  for_each_index(static_cast<int64_t>(loaded.size()), dicom_threads(), [&](int64_t i) {
    place_file(loaded[i], static_cast<int>(i), frames, z_of, identity, out);
  });
  fill_missing(stack, out);
  return out;
}

std::string number(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.10g", value);
  return buffer;
}

void fill_meta(const Frames& frames, DicomVolume& out) {
  const DicomInstanceHeader& h = frames.first;
  auto& meta = out.volume.meta;
  meta["format"] = "dicom";
  meta["pixel_type"] = stored_type_name(h);
  meta["modality"] = h.modality;
  meta["series_uid"] = h.series_uid;
  meta["study_uid"] = h.study_uid;
  meta["frame_of_reference_uid"] = h.frame_of_reference_uid;
  meta["sop_class_uid"] = h.sop_class_uid;
  meta["transfer_syntax"] = frames.transfer_syntax;
  meta["photometric"] = h.photometric;
  meta["bits_stored"] = std::to_string(h.bits_stored);
  meta["rescale_slope"] = number(frames.info.front().slope);
  meta["rescale_intercept"] = number(frames.info.front().intercept);
}

std::string series_subject(const DicomSeriesFiles& series) {
  if (series.files.size() == 1) return series.files.front().string();
  fs::path folder = series.files.front().parent_path();
  return folder.empty() ? "." : folder.string();
}

}  // namespace

DicomVolume read_dicom_series(const DicomSeriesFiles& series) {
  const std::string subject = series_subject(series);
  if (series.files.empty()) throw Error(subject, "DICOM series has no files");
  register_dicom_codecs();  // before any thread parses: the codec list is set up once
  prefetch_files(series.files);
  // Files are parsed and decompressed on all threads (those with a usable scan head are only
  // stat'ed: see load_file); errors are kept per file and raised below in file order, between
  // the checks of the files before, as a file-by-file read would.
  std::vector<LoadedFile> loaded(series.files.size());
  std::atomic<int64_t> first_failed{static_cast<int64_t>(loaded.size())};
  for_each_index(static_cast<int64_t>(loaded.size()), dicom_threads(), [&](int64_t i) {
    if (i > first_failed.load()) return;  // never reached by a serial read
    try {
      const size_t k = static_cast<size_t>(i);
      load_file(series.files[i], k < series.heads.size() ? series.heads[k].get() : nullptr,
                loaded[i]);
    } catch (...) {
      loaded[i].error = std::current_exception();
      int64_t seen = first_failed.load();
      while (i < seen && !first_failed.compare_exchange_weak(seen, i)) {
      }
    }
  });
  Frames frames;
  for (size_t i = 0; i < loaded.size(); ++i) {
    if (loaded[i].error) std::rethrow_exception(loaded[i].error);
    add_instance(loaded[i].h, subject, frames);
  }

  DicomStack stack = plan_stack(frames.info, subject, frames.first.spacing_between_slices);
  DicomVolume out;
  out.volume.data = assemble(stack, frames, loaded);
  out.volume.geometry = stack.geometry;
  out.warnings = std::move(stack.warnings);
  const DicomInstanceHeader& h = frames.first;
  out.info = {h.study_uid, h.series_uid, h.frame_of_reference_uid,
              h.modality,  {},           series.files.front()};
  for (int source : stack.source) {
    out.info.slices.push_back(source >= 0 ? frames.refs[source] : DicomSliceRef{});
  }
  fill_meta(frames, out);
  out.volume.meta["number_of_files"] = std::to_string(series.files.size());
  for (const std::string& warning : out.warnings) spdlog::warn("{}: {}", subject, warning);
  return out;
}

DicomVolume read_dicom(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    DicomScan scan = scan_dicom_folder(path);
    if (scan.series.size() == 1) return read_dicom_series(scan.series.front());
    if (scan.series.empty()) {
      throw Error(path.string(), "no DICOM image series found (" +
                                     std::to_string(scan.notes.size()) + " files skipped)");
    }
    std::string uids;
    for (const auto& s : scan.series) uids += (uids.empty() ? "" : ", ") + s.series_uid;
    throw Error(path.string(), "holds " + std::to_string(scan.series.size()) + " image series (" +
                                   uids + "); give one series folder");
  }
  if (!fs::is_regular_file(path, ec)) throw Error(path.string(), "no such file or folder");
  DicomSeriesFiles single;
  single.files = {path};
  DicomVolume out = read_dicom_series(single);
  return out;
}

}  // namespace unetx::io
