// Folder scan: find DICOM image files by content and group them by SeriesInstanceUID.
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>

#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/dicom_codecs.h"
#include "io/dicom_file_head.h"
#include "io/dicom_instance.h"
#include "io/dicom_parallel.h"
#include "io/dicom_series.h"
#include "io/error.h"

namespace unetx::io {
namespace {

// Values longer than this (pixel data above all) stay on disk during a scan.
constexpr Uint32 kHeaderReadLength = 4096;
// Bytes of each file the kernel is asked to read ahead for the scan: the header and the start
// of the pixel data (a series read then asks for the rest).
constexpr int64_t kHeadPrefetch = 64 * 1024;

bool has_dicm_preamble(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  in.seekg(128);
  in.read(magic, 4);
  return in && std::string(magic, 4) == "DICM";
}

// Our own in-progress atomic writes (and editors' backups) are not part of a series.
bool is_temporary(const fs::path& path) {
  const std::string name = path.filename().string();
  return name.rfind(".tmp-", 0) == 0;
}

std::string get_string(DcmDataset& ds, const DcmTagKey& tag) {
  OFString value;
  if (ds.findAndGetOFString(tag, value).bad()) return {};
  return value.c_str();
}

// What the scan learns of one file: its series and parsed head, or why it is skipped.
struct ScannedFile {
  std::string note;  // non-empty: skipped, for this reason
  std::string series_uid, modality;
  std::shared_ptr<const DicomFileHead> head;
};

ScannedFile scan_file(const fs::path& path) {
  const FileStamp stamp = file_stamp(path);  // before parsing: a later change is then seen
  DcmFileFormat file;
  const OFCondition status =
      file.loadFile(path.c_str(), EXS_Unknown, EGL_noChange, kHeaderReadLength);
  if (status.bad()) {
    return {std::string("not a readable DICOM file (") + status.text() + ")", {}, {}, {}};
  }
  DcmDataset& ds = *file.getDataset();
  const std::string why = non_image_reason(ds);
  if (!why.empty()) return {why, {}, {}, {}};
  return {{},
          get_string(ds, DCM_SeriesInstanceUID),
          get_string(ds, DCM_Modality),
          read_file_head(file, path, stamp)};
}

}  // namespace

bool is_dicom_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec) || fs::file_size(path, ec) < 8) return false;
  if (has_dicm_preamble(path)) return true;
  register_dicom_codecs();
  DcmFileFormat file;
  if (file.loadFile(path.c_str(), EXS_Unknown, EGL_noChange, kHeaderReadLength).bad()) {
    return false;
  }
  // A random file may parse as a few nonsense elements; a dataset names its SOP class.
  DcmDataset& ds = *file.getDataset();
  return ds.tagExistsWithValue(DCM_SOPClassUID) || ds.tagExistsWithValue(DCM_Modality);
}

bool is_dicom_folder(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return false;
  for (auto it = fs::recursive_directory_iterator(
           path, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && !is_temporary(it->path()) && is_dicom_file(it->path())) {
      return true;
    }
  }
  return false;
}

DicomScan scan_dicom_folder(const fs::path& folder) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) throw Error(folder.string(), "no such folder");
  register_dicom_codecs();
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(
           folder, fs::directory_options::skip_permission_denied, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec) && !is_temporary(it->path())) files.push_back(it->path());
  }
  if (ec) throw Error(folder.string(), "cannot scan folder: " + ec.message());
  std::sort(files.begin(), files.end());  // scan order must not depend on the file system

  // Heads are parsed on all threads (see load_file in dicom_series.cpp on DCMTK's thread
  // safety); results are merged in sorted file order, so notes and series do not depend on it.
  prefetch_files(files, kHeadPrefetch);
  std::vector<ScannedFile> scanned(files.size());
  for_each_index(static_cast<int64_t>(files.size()), dicom_threads(),
                 [&](int64_t i) { scanned[i] = scan_file(files[i]); });
  DicomScan scan;
  std::map<std::string, DicomSeriesFiles> by_uid;
  for (size_t i = 0; i < files.size(); ++i) {
    if (!scanned[i].note.empty()) {
      scan.notes.push_back(files[i].string() + ": skipped, " + scanned[i].note);
      continue;
    }
    DicomSeriesFiles& series = by_uid[scanned[i].series_uid];
    if (series.files.empty()) {
      series.series_uid = scanned[i].series_uid;
      series.modality = scanned[i].modality;
    }
    series.files.push_back(files[i]);
    series.heads.push_back(std::move(scanned[i].head));
  }
  for (auto& [uid, series] : by_uid) scan.series.push_back(std::move(series));
  return scan;
}

}  // namespace unetx::io
