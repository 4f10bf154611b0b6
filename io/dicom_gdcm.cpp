#include "io/dicom_gdcm.h"

#include <dcmtk/dcmdata/dcxfer.h>
#include <gdcm-3.0/gdcmTrace.h>  // Debian installs GDCM headers here; ITK does not export the path
#include <itkGDCMImageIO.h>

#include <cmath>
#include <mutex>
#include <vector>

#include "io/error.h"

namespace unetx::io {
namespace {

template <typename T>
at::Tensor to_long(const std::vector<char>& buffer, size_t count) {
  const T* src = reinterpret_cast<const T*>(buffer.data());
  at::Tensor out = at::empty({static_cast<int64_t>(count)}, at::kDouble);
  double* dst = out.data_ptr<double>();
  for (size_t i = 0; i < count; ++i) dst[i] = static_cast<double>(src[i]);
  return out;
}

at::Tensor component_values(itk::IOComponentEnum type, const std::vector<char>& buffer,
                            size_t count) {
  using C = itk::IOComponentEnum;
  switch (type) {
    case C::UCHAR:
      return to_long<uint8_t>(buffer, count);
    case C::CHAR:
      return to_long<int8_t>(buffer, count);
    case C::USHORT:
      return to_long<uint16_t>(buffer, count);
    case C::SHORT:
      return to_long<int16_t>(buffer, count);
    case C::UINT:
      return to_long<uint32_t>(buffer, count);
    case C::INT:
      return to_long<int32_t>(buffer, count);
    case C::FLOAT:
      return to_long<float>(buffer, count);
    case C::DOUBLE:
      return to_long<double>(buffer, count);
    default:
      return {};
  }
}

}  // namespace

at::Tensor decode_with_gdcm(DicomInstanceHeader& h) {
  const std::string what = std::string("cannot decode transfer syntax ") +
                           DcmXfer(h.transfer_syntax_uid.c_str()).getXferName() + " (" +
                           h.transfer_syntax_uid + ")";
  static std::once_flag quiet;
  // GDCM prints warnings to stderr that quote attribute values (patient names among them).
  std::call_once(quiet, [] {
    gdcm::Trace::DebugOff();
    gdcm::Trace::WarningOff();
    gdcm::Trace::ErrorOff();
  });
  auto io = itk::GDCMImageIO::New();
  io->SetFileName(h.path.string());
  std::vector<char> buffer;
  try {
    if (!io->CanReadFile(h.path.string().c_str())) throw Error(h.path.string(), what);
    io->ReadImageInformation();
    buffer.resize(io->GetImageSizeInBytes());
    io->Read(buffer.data());
  } catch (const itk::ExceptionObject&) {
    throw Error(h.path.string(), what + " (GDCM fallback failed)");
  }
  const size_t components = io->GetNumberOfComponents();
  const size_t count = io->GetImageSizeInComponents();
  const int64_t expected = int64_t{h.frames} * h.rows * h.columns * h.samples;
  at::Tensor values = component_values(io->GetComponentType(), buffer, count);
  if (!values.defined() || static_cast<int64_t>(count) != expected ||
      components != static_cast<size_t>(h.samples)) {
    throw Error(h.path.string(), what + " (GDCM returned an unexpected pixel layout)");
  }
  if (h.samples == 3) h.photometric = "RGB";  // GDCM converts YBR_ICT/RCT to RGB
  const double slope = io->GetRescaleSlope() == 0 ? 1.0 : io->GetRescaleSlope();
  values = ((values - io->GetRescaleIntercept()) / slope).round().to(at::kLong);
  return values.view({h.frames, h.rows, h.columns, h.samples}).permute({0, 3, 1, 2});
}

}  // namespace unetx::io
