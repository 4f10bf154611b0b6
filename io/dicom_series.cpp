// Series assembly: decode every instance, order the frames geometrically, fill missing
// slices, apply the rescale.
#include "io/dicom_series.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <spdlog/spdlog.h>

#include <cstdio>

#include "io/dicom_codecs.h"
#include "io/dicom_geometry.h"
#include "io/dicom_instance.h"
#include "io/dicom_pixels.h"
#include "io/error.h"

namespace unetx::io {
namespace {

// All frames of a series, in the order the files were read.
struct Frames {
  std::vector<DicomFrameInfo> info;
  std::vector<DicomSliceRef> refs;
  std::vector<at::Tensor> values;  // (samples, rows, columns), stored values
  DicomInstanceHeader first;       // header of the first instance (sizes, pixel type)
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

std::string size_text(const DicomInstanceHeader& h) {
  return std::to_string(h.columns) + "x" + std::to_string(h.rows) +
         (h.samples > 1 ? "x" + std::to_string(h.samples) + " samples" : "");
}

// Decodes one file and appends its frames. Files are read one after another on purpose:
// DCMTK's shared dictionary and codec registry, and GDCM's global state on the JPEG 2000 path,
// make threads here a correctness risk for a gain the disk usually takes back (bench_io, (c)).
void add_instance(const fs::path& path, const std::string& subject, Frames& frames) {
  DcmFileFormat file;
  DicomInstanceHeader h = load_instance(path, file);
  const at::Tensor values = decode_frames(file, h);
  if (frames.values.empty()) {
    frames.first = h;
    frames.transfer_syntax = h.transfer_syntax_uid;
  } else {
    const DicomInstanceHeader& f = frames.first;
    if (h.rows != f.rows || h.columns != f.columns || h.samples != f.samples) {
      throw Error(subject, "mixed image sizes in one series: " + f.path.filename().string() +
                               " is " + size_text(f) + ", " + path.filename().string() + " is " +
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
  for (int k = 0; k < h.frames; ++k) {
    frames.info.push_back(h.frame[k]);
    frames.refs.push_back({h.sop_class_uid, h.sop_instance_uid, h.frames > 1 ? k + 1 : 0});
    frames.values.push_back(values[k]);
  }
}

bool identity_rescale(const std::vector<DicomFrameInfo>& info) {
  for (const DicomFrameInfo& f : info) {
    if (f.slope != 1.0 || f.intercept != 0.0) return false;
  }
  return true;
}

// Modality values of every frame: the stored type when no frame rescales, else float32.
std::vector<at::Tensor> modality_values(const Frames& frames) {
  const bool identity = identity_rescale(frames.info);
  const at::ScalarType type = identity ? stored_dtype(frames.first) : at::kFloat;
  std::vector<at::Tensor> out;
  for (size_t i = 0; i < frames.values.size(); ++i) {
    const DicomFrameInfo& f = frames.info[i];
    out.push_back(identity
                      ? frames.values[i].to(type)
                      : frames.values[i].to(at::kDouble).mul(f.slope).add(f.intercept).to(type));
  }
  return out;
}

// Slices in z order; a missing slice is the linear interpolation of its two neighbours at its
// position (rounded for integer types).
at::Tensor assemble(const DicomStack& stack, const std::vector<at::Tensor>& values) {
  std::vector<at::Tensor> slices(stack.source.size());
  for (size_t z = 0; z < stack.source.size(); ++z) {
    if (stack.source[z] >= 0) slices[z] = values[stack.source[z]];
  }
  for (size_t z = 0; z < slices.size(); ++z) {
    if (slices[z].defined()) continue;
    size_t before = z - 1, after = z + 1;  // source[0] and source.back() are never missing
    while (!slices[after].defined()) ++after;
    const double t = double(z - before) / double(after - before);
    at::Tensor mixed = slices[before].to(at::kDouble) * (1 - t) + slices[after].to(at::kDouble) * t;
    if (!at::isFloatingType(slices[before].scalar_type())) mixed = mixed.round();
    slices[z] = mixed.to(slices[before].scalar_type());
  }
  return at::stack(slices, 1).contiguous();  // (samples, Z, rows, columns)
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
  register_dicom_codecs();
  Frames frames;
  for (const fs::path& path : series.files) add_instance(path, subject, frames);

  DicomStack stack = plan_stack(frames.info, subject, frames.first.spacing_between_slices);
  DicomVolume out;
  out.volume.data = assemble(stack, modality_values(frames));
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
