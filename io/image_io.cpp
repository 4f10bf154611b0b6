#include "io/image_io.h"

#include <itkImage.h>
#include <itkImageFileWriter.h>
#include <itkImageIOFactory.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>

#include "io/atomic_file.h"
#include "io/dicom_series.h"
#include "io/error.h"
#include "io/file_name.h"
#include "io/image_check.h"
#include "io/nifti_check.h"
#include "io/nifti_geometry.h"
#include "io/nifti_header.h"
#include "io/nifti_reader.h"
#include "io/nifti_writer.h"

namespace unetx::io {
namespace {

// A DICOM file: named *.dcm, or without one of the extensions ITK's readers claim and
// starting like a DICOM dataset (many PACS exports have no extension at all).
bool looks_like_dicom(const fs::path& path) {
  if (has_suffix(path, ".dcm") || has_suffix(path, ".dicom")) return true;
  for (const char* known : {".nii", ".gz", ".mha", ".mhd", ".nrrd", ".nhdr", ".hdr", ".img"})
    if (has_suffix(path, known)) return false;
  return is_dicom_file(path);
}

using IOComponent = itk::IOComponentEnum;

// ITK exception descriptions span several lines (file, line, location); a per-case error
// message wants one short line.
std::string one_line(const std::string& text) {
  std::string line;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    line = text.substr(start, end - start);
    line.erase(0, line.find_first_not_of(" \t\r"));
    line.erase(line.find_last_not_of(" \t\r") + 1);
    if (!line.empty()) break;
    start = end + 1;
  }
  if (line.size() > 240) line = line.substr(0, 237) + "...";
  return line.empty() ? "unknown ITK error" : line;
}

// On-disk component type: its name and the ATen dtype Volume keeps it in. `same_bytes` says
// whether ATen has a dtype with the identical representation (so ITK can read straight in).
struct PixelKind {
  const char* name;
  at::ScalarType keep;
  bool same_bytes;
};

PixelKind pixel_kind(IOComponent type, size_t size, const std::string& path) {
  const bool is_signed = type == IOComponent::CHAR || type == IOComponent::SHORT ||
                         type == IOComponent::INT || type == IOComponent::LONG ||
                         type == IOComponent::LONGLONG;
  if (type == IOComponent::FLOAT) return {"float32", at::kFloat, true};
  if (type == IOComponent::DOUBLE) return {"float64", at::kFloat, false};
  if (type == IOComponent::UNKNOWNCOMPONENTTYPE) {
    throw Error(path, "unsupported pixel type: unknown component type");
  }
  // LONG/ULONG are platform-sized, so integers are classified by size and sign.
  switch (size) {
    case 1:
      return is_signed ? PixelKind{"int8", at::kChar, true} : PixelKind{"uint8", at::kByte, true};
    case 2:
      return is_signed ? PixelKind{"int16", at::kShort, true}
                       : PixelKind{"uint16", at::kInt, false};
    case 4:
      return is_signed ? PixelKind{"int32", at::kInt, true} : PixelKind{"uint32", at::kLong, false};
    case 8:
      return is_signed ? PixelKind{"int64", at::kLong, true} : PixelKind{"uint64", at::kLong, true};
    default:
      break;
  }
  throw Error(path, "unsupported pixel type: " + itk::ImageIOBase::GetComponentTypeAsString(type));
}

// Widens unsigned integers that ATen 1.13 has no dtype for (uint16, uint32).
template <typename From>
at::Tensor widen(const std::vector<uint8_t>& raw, int64_t count, at::ScalarType to) {
  at::Tensor out = at::empty({count}, at::TensorOptions().dtype(to));
  const From* src = reinterpret_cast<const From*>(raw.data());
  if (to == at::kInt) {
    std::copy(src, src + count, out.data_ptr<int32_t>());
  } else {
    std::copy(src, src + count, out.data_ptr<int64_t>());
  }
  return out;
}

// Reads the whole pixel buffer of an initialised ImageIO into a flat tensor of `kind.keep`.
at::Tensor read_pixels(itk::ImageIOBase& io, const PixelKind& kind, int64_t count) {
  itk::ImageIORegion region(io.GetNumberOfDimensions());
  for (unsigned i = 0; i < io.GetNumberOfDimensions(); ++i) {
    region.SetIndex(i, 0);
    region.SetSize(i, io.GetDimensions(i));
  }
  io.SetIORegion(region);
  if (kind.same_bytes) {
    at::Tensor flat = at::empty({count}, at::TensorOptions().dtype(kind.keep));
    io.Read(flat.data_ptr());
    if (std::strcmp(kind.name, "uint64") == 0 && count > 0 && flat.lt(0).any().item<bool>()) {
      throw Error(io.GetFileName(), "unsupported pixel type: uint64 values above 2^63");
    }
    return flat;
  }
  std::vector<uint8_t> raw(io.GetImageSizeInBytes());
  io.Read(raw.data());
  if (std::strcmp(kind.name, "float64") == 0) {
    at::Tensor d = at::from_blob(raw.data(), {count}, at::TensorOptions().dtype(at::kDouble));
    return d.to(at::kFloat);
  }
  if (std::strcmp(kind.name, "uint16") == 0) return widen<uint16_t>(raw, count, kind.keep);
  return widen<uint32_t>(raw, count, kind.keep);
}

Volume read_with(itk::ImageIOBase& io, const std::string& name) {
  io.SetFileName(name);
  io.ReadImageInformation();
  const unsigned n = io.GetNumberOfDimensions();
  if (n < 1 || n > 4) throw Error(name, "unsupported image dimension " + std::to_string(n));
  int64_t dims[4] = {1, 1, 1, 1};
  for (unsigned i = 0; i < n; ++i) dims[i] = static_cast<int64_t>(io.GetDimensions(i));
  const int64_t comps = io.GetNumberOfComponents();
  if (io.GetPixelType() == itk::IOPixelEnum::COMPLEX) {
    throw Error(name, "unsupported pixel type: complex");
  }
  if (comps > 1 && dims[3] > 1) {
    throw Error(name, "unsupported pixel type: " + std::to_string(comps) +
                          "-component pixels in a 4-D image");
  }
  const PixelKind kind = pixel_kind(io.GetComponentType(), io.GetComponentSize(), name);
  const int64_t count = dims[0] * dims[1] * dims[2] * dims[3] * comps;
  at::Tensor flat = read_pixels(io, kind, count);

  Volume v;
  if (comps > 1) {  // ITK interleaves components: (Z, Y, X, K) in memory
    v.data = flat.view({dims[2], dims[1], dims[0], comps}).permute({3, 0, 1, 2}).contiguous();
  } else {
    v.data = flat.view({dims[3], dims[2], dims[1], dims[0]});
  }
  v.geometry = geometry_from_image_io(io);
  v.meta["pixel_type"] = kind.name;
  if (comps > 1) v.meta["pixel_kind"] = itk::ImageIOBase::GetPixelTypeAsString(io.GetPixelType());
  return v;
}

template <typename T, unsigned D>
void write_typed(const at::Tensor& data, const Geometry& g, const std::string& file) {
  using Image = itk::Image<T, D>;
  auto image = Image::New();
  typename Image::SizeType size;
  typename Image::SpacingType spacing;
  typename Image::PointType origin;
  typename Image::DirectionType direction;
  direction.SetIdentity();
  for (unsigned i = 0; i < D; ++i) {
    size[i] = static_cast<itk::SizeValueType>(data.size(3 - i));  // x, y, z, c
    spacing[i] = i < 3 ? g.spacing[i] : 1.0;
    origin[i] = i < 3 ? g.origin[i] : 0.0;
  }
  for (unsigned r = 0; r < 3; ++r) {
    for (unsigned c = 0; c < 3; ++c) direction(r, c) = g.direction[r * 3 + c];
  }
  image->SetRegions(typename Image::RegionType(size));
  image->SetSpacing(spacing);
  image->SetOrigin(origin);
  image->SetDirection(direction);
  // ITK borrows the tensor's buffer (no copy); `data` outlives the writer.
  image->GetPixelContainer()->SetImportPointer(static_cast<T*>(data.data_ptr()),
                                               static_cast<size_t>(data.numel()), false);
  auto writer = itk::ImageFileWriter<Image>::New();
  writer->SetFileName(file);
  writer->SetInput(image);
  writer->SetUseCompression(true);
  writer->Update();
}

template <typename T>
void write_dims(const at::Tensor& data, const Geometry& g, const std::string& file) {
  if (data.size(0) == 1) {
    write_typed<T, 3>(data, g, file);
  } else {
    write_typed<T, 4>(data, g, file);
  }
}

}  // namespace

std::string dtype_name(at::ScalarType type) {
  switch (type) {
    case at::kBool:
      return "bool";
    case at::kByte:
      return "uint8";
    case at::kChar:
      return "int8";
    case at::kShort:
      return "int16";
    case at::kInt:
      return "int32";
    case at::kLong:
      return "int64";
    case at::kHalf:
      return "float16";
    case at::kBFloat16:
      return "bfloat16";
    case at::kFloat:
      return "float32";
    case at::kDouble:
      return "float64";
    default:
      return c10::toString(type);
  }
}

Volume read_image(const fs::path& path) {
  const std::string name = path.string();
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(name, "no such file");
  if (fs::is_directory(path, ec) || looks_like_dicom(path)) {
    DicomVolume dicom = read_dicom(path);  // logs its own warnings
    check_spacing(dicom.volume.geometry, name);
    return std::move(dicom.volume);
  }
  try {
    if (std::optional<Volume> v = read_nifti_fast(path)) {
      check_spacing(v->geometry, name);
      return std::move(*v);
    }
  } catch (const itk::ExceptionObject& e) {  // from ITK's header reading of a NIfTI-1 file
    throw Error(name, "cannot read image: " + one_line(e.GetDescription()));
  } catch (const std::bad_alloc&) {
    throw Error(name, "cannot read image: out of memory (corrupt header?)");
  }
  return read_image_itk(path);
}

Volume read_image_itk(const fs::path& path) {
  const std::string name = path.string();
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(name, "no such file");
  if (fs::is_directory(path, ec)) throw Error(name, "is a folder, not an image file");
  check_nifti_complete(path);
  const std::optional<NiftiHeader> nifti = read_nifti_header_file(path);
  if (nifti) check_nifti_header(*nifti, name);
  itk::ImageIOBase::Pointer io =
      itk::ImageIOFactory::CreateImageIO(name.c_str(), itk::IOFileModeEnum::ReadMode);
  if (!io) throw Error(name, "cannot read image: no ITK reader recognises this file");
  Volume v;
  try {
    v = read_with(*io, name);
  } catch (const itk::ExceptionObject& e) {
    throw Error(name, "cannot read image: " + one_line(e.GetDescription()));
  } catch (const std::bad_alloc&) {
    throw Error(name, "cannot read image: out of memory (corrupt header?)");
  }
  if (nifti) add_nifti_scaling_meta(*nifti, v);
  check_spacing(v.geometry, name);
  return v;
}

Volume read_channels(const std::vector<fs::path>& paths) {
  if (paths.empty()) throw Error("", "read_channels: no image files given");
  Volume first = read_image(paths[0]);
  if (paths.size() == 1) return first;
  const at::ScalarType first_type = first.data.scalar_type();
  std::vector<at::Tensor> parts{first.data};
  at::ScalarType common = first.data.scalar_type();
  for (size_t i = 1; i < paths.size(); ++i) {
    Volume next = read_image(paths[i]);
    if (!same_grid(first, next)) {
      const Size3 a = first.size(), b = next.size();
      throw Error(paths[i].string(), "grid differs from " + paths[0].string() + ": size " +
                                         std::to_string(b[0]) + "x" + std::to_string(b[1]) + "x" +
                                         std::to_string(b[2]) + " vs " + std::to_string(a[0]) +
                                         "x" + std::to_string(a[1]) + "x" + std::to_string(a[2]) +
                                         "; " + next.geometry.to_string() + " vs " +
                                         first.geometry.to_string());
    }
    common = at::promote_types(common, next.data.scalar_type());
    parts.push_back(next.data);
  }
  for (auto& p : parts) p = p.to(common);
  first.data = at::cat(parts, 0);
  if (common != first_type) first.meta["pixel_type"] = dtype_name(common);
  return first;
}

namespace {

// The checks and the dtype conversion both writers share: (C, Z, Y, X) CPU data of a type the
// formats store (bool -> uint8, other types -> float32), contiguous.
at::Tensor writable_data(const Volume& volume, const fs::path& path) {
  const std::string name = path.string();
  const at::Tensor& d = volume.data;
  if (!d.defined() || d.dim() != 4 || d.numel() == 0) {
    throw Error(name, "cannot write image: data must be a non-empty (C, Z, Y, X) tensor");
  }
  for (const char* ext : {".hdr", ".img", ".img.gz", ".mhd", ".nhdr"}) {
    if (has_suffix(path, ext)) {
      throw Error(name, std::string("cannot write image: ") + ext +
                            " is a multi-file format that cannot be written atomically; use "
                            ".nii.gz, .nii, .mha or .nrrd");
    }
  }
  if (!itk::ImageIOFactory::CreateImageIO(name.c_str(), itk::IOFileModeEnum::WriteMode)) {
    throw Error(name, "cannot write image: no ITK writer for this file extension");
  }
  at::ScalarType type = d.scalar_type();
  if (type == at::kBool) type = at::kByte;
  if (type != at::kByte && type != at::kShort && type != at::kInt) type = at::kFloat;
  return d.to(at::kCPU, type).contiguous();
}

void write_with_itk(const at::Tensor& data, const Geometry& g, const std::string& temp,
                    const std::string& name) {
  try {
    switch (data.scalar_type()) {
      case at::kByte:
        write_dims<uint8_t>(data, g, temp);
        break;
      case at::kShort:
        write_dims<int16_t>(data, g, temp);
        break;
      case at::kInt:
        write_dims<int32_t>(data, g, temp);
        break;
      default:
        write_dims<float>(data, g, temp);
        break;
    }
  } catch (const itk::ExceptionObject& e) {
    throw Error(name, "cannot write image: " + one_line(e.GetDescription()));
  }
}

}  // namespace

void write_image(const Volume& volume, const fs::path& path) {
  const at::Tensor data = writable_data(volume, path);
  AtomicFile out(path);
  const bool gz = has_suffix(path, ".nii.gz");
  if (gz || has_suffix(path, ".nii")) {
    write_nifti(data, volume.geometry, out.temp_path(), gz, path.string());
  } else {
    write_with_itk(data, volume.geometry, out.temp_path().string(), path.string());
  }
  out.commit();
}

void write_image_itk(const Volume& volume, const fs::path& path) {
  const at::Tensor data = writable_data(volume, path);
  AtomicFile out(path);
  write_with_itk(data, volume.geometry, out.temp_path().string(), path.string());
  out.commit();
}

}  // namespace unetx::io
