#include "io/dicom_export.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmjpeg/djrplol.h>
#include <dcmtk/dcmjpls/djrparam.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <random>

#include "io/atomic_file.h"
#include "io/dicom_codecs.h"
#include "io/dicom_values.h"
#include "io/error.h"

namespace unetx::io {
namespace {

std::string ds_list(std::initializer_list<double> values) {
  std::string text;
  for (double v : values) text += (text.empty() ? "" : "\\") + decimal_string(v);
  return text;
}

struct Rescale {
  double slope = 1.0;
  double intercept = 0.0;
};

// Identity for integer data that fits int16; otherwise spread [min, max] over about 65000 of
// the 65536 stored values (the margin absorbs the DS rounding of slope and intercept).
Rescale choose_rescale(const at::Tensor& data) {
  const double lo = data.min().item<double>();
  const double hi = data.max().item<double>();
  const bool integral = !at::isFloatingType(data.scalar_type());
  if (integral && lo >= -32768 && hi <= 32767) return {};
  Rescale r;
  r.intercept = std::stod(decimal_string(0.5 * (lo + hi)));
  r.slope = hi > lo ? std::stod(decimal_string((hi - lo) / 65000.0)) : 1.0;
  return r;
}

struct Syntax {
  E_TransferSyntax xfer;
  const char* name;
};

Syntax syntax_of(DicomTransferSyntax ts) {
  switch (ts) {
    case DicomTransferSyntax::kImplicitLittle:
      return {EXS_LittleEndianImplicit, "implicit little endian"};
    case DicomTransferSyntax::kExplicitBig:
      return {EXS_BigEndianExplicit, "explicit big endian"};
    case DicomTransferSyntax::kDeflated:
      return {EXS_DeflatedLittleEndianExplicit, "deflated explicit little endian"};
    case DicomTransferSyntax::kRle:
      return {EXS_RLELossless, "RLE lossless"};
    case DicomTransferSyntax::kJpegLsLossless:
      return {EXS_JPEGLSLossless, "JPEG-LS lossless"};
    case DicomTransferSyntax::kJpegLossless:
      return {EXS_JPEGProcess14SV1, "JPEG lossless SV1"};
    case DicomTransferSyntax::kExplicitLittle:
    default:
      return {EXS_LittleEndianExplicit, "explicit little endian"};
  }
}

// Series-wide attributes, the same in every file.
struct SeriesHeader {
  std::string sop_class, study_uid, series_uid, frame_uid;
  std::string iop, pixel_spacing, thickness;
  Rescale rescale;
  Vec3 normal;  // cross product of the row and column cosines: SliceLocation's axis
};

void put(DcmDataset& ds, const DcmTagKey& tag, const std::string& value, const fs::path& file) {
  if (ds.putAndInsertString(tag, value.c_str()).bad()) {
    throw Error(file.string(),
                std::string("cannot set DICOM attribute ") + DcmTag(tag).toString().c_str());
  }
}

void put_u16(DcmDataset& ds, const DcmTagKey& tag, Uint16 value, const fs::path& file) {
  if (ds.putAndInsertUint16(tag, value).bad()) {
    throw Error(file.string(),
                std::string("cannot set DICOM attribute ") + DcmTag(tag).toString().c_str());
  }
}

void put_identity(DcmDataset& ds, const SeriesHeader& h, const DicomExportOptions& o,
                  const fs::path& file) {
  put(ds, DCM_SOPClassUID, h.sop_class, file);
  put(ds, DCM_SOPInstanceUID, new_dicom_uid(), file);
  put(ds, DCM_StudyInstanceUID, h.study_uid, file);
  put(ds, DCM_SeriesInstanceUID, h.series_uid, file);
  put(ds, DCM_FrameOfReferenceUID, h.frame_uid, file);
  put(ds, DCM_Modality, o.modality, file);
  put(ds, DCM_PatientName, o.patient_name, file);
  put(ds, DCM_PatientID, o.patient_id, file);
  put(ds, DCM_SeriesDescription, o.series_description, file);
  put(ds, DCM_ImageType, "DERIVED\\SECONDARY", file);
  put(ds, DCM_SeriesNumber, "1", file);
  put(ds, DCM_StudyID, "1", file);
  // Type 2 attributes of the patient, study and equipment modules: present, empty.
  for (const DcmTagKey& tag : {DCM_PatientBirthDate, DCM_PatientSex, DCM_StudyDate, DCM_StudyTime,
                               DCM_ReferringPhysicianName, DCM_AccessionNumber, DCM_Manufacturer,
                               DCM_PositionReferenceIndicator}) {
    put(ds, tag, "", file);
  }
  if (o.modality == "CT") {
    put(ds, DCM_KVP, "", file);
    put(ds, DCM_AcquisitionNumber, "", file);
  } else {
    for (const DcmTagKey& tag : {DCM_ScanningSequence, DCM_SequenceVariant, DCM_ScanOptions,
                                 DCM_MRAcquisitionType, DCM_EchoTime, DCM_EchoTrainLength}) {
      put(ds, tag, "", file);
    }
  }
}

void put_slice(DcmDataset& ds, const SeriesHeader& h, const Geometry& g, int64_t z,
               int instance_number, const fs::path& file) {
  const Vec3 pos = g.index_to_physical({0.0, 0.0, static_cast<double>(z)});
  put(ds, DCM_ImagePositionPatient, ds_list({pos[0], pos[1], pos[2]}), file);
  put(ds, DCM_ImageOrientationPatient, h.iop, file);
  put(ds, DCM_PixelSpacing, h.pixel_spacing, file);
  put(ds, DCM_SliceThickness, h.thickness, file);
  put(ds, DCM_SpacingBetweenSlices, h.thickness, file);
  put(ds, DCM_SliceLocation,
      decimal_string(pos[0] * h.normal[0] + pos[1] * h.normal[1] + pos[2] * h.normal[2]), file);
  put(ds, DCM_InstanceNumber, std::to_string(instance_number), file);
  put(ds, DCM_RescaleSlope, decimal_string(h.rescale.slope), file);
  put(ds, DCM_RescaleIntercept, decimal_string(h.rescale.intercept), file);
}

void put_pixels(DcmDataset& ds, const at::Tensor& slice, const Rescale& r, const fs::path& file) {
  put_u16(ds, DCM_SamplesPerPixel, 1, file);
  put(ds, DCM_PhotometricInterpretation, "MONOCHROME2", file);
  put_u16(ds, DCM_Rows, static_cast<Uint16>(slice.size(0)), file);
  put_u16(ds, DCM_Columns, static_cast<Uint16>(slice.size(1)), file);
  put_u16(ds, DCM_BitsAllocated, 16, file);
  put_u16(ds, DCM_BitsStored, 16, file);
  put_u16(ds, DCM_HighBit, 15, file);
  put_u16(ds, DCM_PixelRepresentation, 1, file);
  const at::Tensor values = slice.to(at::kDouble).contiguous();
  const at::Tensor stored =
      ((values - r.intercept) / r.slope).round().clamp(-32768, 32767).to(at::kShort).contiguous();
  const auto* words = reinterpret_cast<const Uint16*>(stored.data_ptr<int16_t>());
  if (ds.putAndInsertUint16Array(DCM_PixelData, words, stored.numel()).bad()) {
    throw Error(file.string(), "cannot set the pixel data");
  }
}

void encode(DcmDataset& ds, const Syntax& syntax, const fs::path& file) {
  if (syntax.xfer == EXS_JPEGProcess14SV1) {
    DJ_RPLossless params;
    if (ds.chooseRepresentation(syntax.xfer, &params).bad()) {
      throw Error(file.string(), std::string("cannot encode as ") + syntax.name);
    }
  } else if (syntax.xfer == EXS_JPEGLSLossless) {
    DJLSRepresentationParameter params(0, OFTrue);
    if (ds.chooseRepresentation(syntax.xfer, &params).bad()) {
      throw Error(file.string(), std::string("cannot encode as ") + syntax.name);
    }
  } else if (syntax.xfer == EXS_RLELossless) {
    if (ds.chooseRepresentation(syntax.xfer, nullptr).bad()) {
      throw Error(file.string(), std::string("cannot encode as ") + syntax.name);
    }
  }
}

SeriesHeader make_header(const Volume& volume, const DicomExportOptions& o) {
  const Geometry& g = volume.geometry;
  const Mat3& d = g.direction;
  SeriesHeader h;
  h.sop_class = o.modality == "MR" ? UID_MRImageStorage : UID_CTImageStorage;
  h.study_uid = o.study_uid.empty() ? new_dicom_uid() : o.study_uid;
  h.series_uid = o.series_uid.empty() ? new_dicom_uid() : o.series_uid;
  h.frame_uid = o.frame_of_reference_uid.empty() ? new_dicom_uid() : o.frame_of_reference_uid;
  h.iop = ds_list({d[0], d[3], d[6], d[1], d[4], d[7]});
  h.pixel_spacing = ds_list({g.spacing[1], g.spacing[0]});
  h.thickness = decimal_string(g.spacing[2]);
  h.rescale = choose_rescale(volume.data);
  h.normal = {d[3] * d[7] - d[6] * d[4], d[6] * d[1] - d[0] * d[7], d[0] * d[4] - d[3] * d[1]};
  return h;
}

// File name index of each z: identity, or a seeded permutation.
std::vector<int64_t> name_order(int64_t depth, const DicomExportOptions& o) {
  std::vector<int64_t> order(depth);
  std::iota(order.begin(), order.end(), 0);
  if (o.scramble_names) {
    std::mt19937 rng(o.scramble_seed);
    std::shuffle(order.begin(), order.end(), rng);
  }
  return order;
}

}  // namespace

std::vector<fs::path> write_dicom_series(const Volume& volume, const fs::path& folder,
                                         const DicomExportOptions& options) {
  if (!volume.data.defined() || volume.data.dim() != 4 || volume.data.numel() == 0) {
    throw Error(folder.string(), "DICOM export needs a non-empty (C, Z, Y, X) volume");
  }
  if (volume.channels() != 1) {
    throw Error(folder.string(),
                "DICOM export writes one channel, got " + std::to_string(volume.channels()));
  }
  if (options.modality != "CT" && options.modality != "MR") {
    throw Error(folder.string(), "DICOM export writes CT or MR, not '" + options.modality + "'");
  }
  if (volume.data.size(2) > 65535 || volume.data.size(3) > 65535) {
    throw Error(folder.string(), "slice too large for DICOM (rows and columns <= 65535)");
  }
  register_dicom_codecs();
  const SeriesHeader header = make_header(volume, options);
  const Syntax syntax = syntax_of(options.transfer_syntax);
  const int64_t depth = volume.data.size(1);
  const std::vector<int64_t> names = name_order(depth, options);
  const int width = std::max(4, static_cast<int>(std::to_string(depth).size()));

  std::vector<fs::path> paths;
  for (int64_t z = 0; z < depth; ++z) {
    char name[64];
    std::snprintf(name, sizeof name, "slice_%0*lld.dcm", width, static_cast<long long>(names[z]));
    const fs::path path = folder / name;
    const int instance = static_cast<int>(options.scramble_instance_numbers ? names[z] : z) + 1;
    DcmFileFormat file;
    DcmDataset& ds = *file.getDataset();
    put_identity(ds, header, options, path);
    put_slice(ds, header, volume.geometry, z, instance, path);
    put_pixels(ds, volume.data[0][z], header.rescale, path);
    encode(ds, syntax, path);
    AtomicFile out(path);
    const OFCondition status = file.saveFile(out.temp_path().c_str(), syntax.xfer);
    if (status.bad()) throw Error(path.string(), std::string("write failed: ") + status.text());
    out.commit();
    paths.push_back(path);
  }
  return paths;
}

}  // namespace unetx::io
