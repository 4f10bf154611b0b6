#include "io/nifti_reader.h"

#include <itkNiftiImageIO.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

#include "io/error.h"
#include "io/file_name.h"
#include "io/gzip_inflate.h"
#include "io/mapped_file.h"
#include "io/nifti_check.h"
#include "io/nifti_geometry.h"

namespace unetx::io {
namespace {

namespace fs = std::filesystem;

// Byte-reversal of one value in place; the loops over it vectorise (bswap / pshufb).
template <typename T>
T swapped(T v) {
  unsigned char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  std::reverse(b, b + sizeof(T));
  std::memcpy(&v, b, sizeof(T));
  return v;
}

template <typename T>
T load(const unsigned char* src, int64_t i, bool swap) {
  T v;
  std::memcpy(&v, src + i * sizeof(T), sizeof(T));
  return swap ? swapped(v) : v;
}

// The dtype read_image keeps a stored type in (see image_io.h), or kFloat when scaled.
at::ScalarType kept_dtype(int datatype, bool scaled) {
  if (scaled) return at::kFloat;
  switch (datatype) {
    case 2:
      return at::kByte;
    case 256:
      return at::kChar;
    case 4:
      return at::kShort;
    case 512:
    case 8:
      return at::kInt;
    case 768:
    case 1024:
    case 1280:
      return at::kLong;
    default:  // float32, float64
      return at::kFloat;
  }
}

template <typename Disk, typename Out>
void convert(const unsigned char* src, int64_t count, bool swap, Out* out) {
  for (int64_t i = 0; i < count; ++i) out[i] = static_cast<Out>(load<Disk>(src, i, swap));
}

// ITK 5.2 order of operations: integers and float32 are cast to float first, then
// double(x) * slope + inter is rounded to float.
template <typename Disk>
void convert_scaled(const unsigned char* src, int64_t count, bool swap, double slope, double inter,
                    float* out) {
  for (int64_t i = 0; i < count; ++i) {
    const Disk v = load<Disk>(src, i, swap);
    double x = std::is_same<Disk, double>::value ? static_cast<double>(v)
                                                 : static_cast<double>(static_cast<float>(v));
    x *= slope;
    x += inter;
    out[i] = static_cast<float>(x);
  }
}

template <typename Disk>
void decode_as(const unsigned char* src, int64_t count, const NiftiHeader& h, at::Tensor& out) {
  const bool swap = h.swapped;
  if (h.must_rescale()) {
    convert_scaled<Disk>(src, count, swap, h.scl_slope, h.scl_inter, out.data_ptr<float>());
    return;
  }
  switch (out.scalar_type()) {
    case at::kByte:
      return convert<Disk>(src, count, swap, out.data_ptr<uint8_t>());
    case at::kChar:
      return convert<Disk>(src, count, swap, out.data_ptr<int8_t>());
    case at::kShort:
      return convert<Disk>(src, count, swap, out.data_ptr<int16_t>());
    case at::kInt:
      return convert<Disk>(src, count, swap, out.data_ptr<int32_t>());
    case at::kLong:
      return convert<Disk>(src, count, swap, out.data_ptr<int64_t>());
    default:
      return convert<Disk>(src, count, swap, out.data_ptr<float>());
  }
}

at::Tensor decode_voxels(const unsigned char* src, int64_t count, const NiftiHeader& h,
                         const std::string& name) {
  at::Tensor out =
      at::empty({count}, at::TensorOptions().dtype(kept_dtype(h.datatype, h.must_rescale())));
  switch (h.datatype) {
    case 2:
      decode_as<uint8_t>(src, count, h, out);
      break;
    case 256:
      decode_as<int8_t>(src, count, h, out);
      break;
    case 4:
      decode_as<int16_t>(src, count, h, out);
      break;
    case 512:
      decode_as<uint16_t>(src, count, h, out);
      break;
    case 8:
      decode_as<int32_t>(src, count, h, out);
      break;
    case 768:
      decode_as<uint32_t>(src, count, h, out);
      break;
    case 1024:
      decode_as<int64_t>(src, count, h, out);
      break;
    case 1280:
      decode_as<uint64_t>(src, count, h, out);
      if (!h.must_rescale() && count > 0 && out.lt(0).any().item<bool>()) {
        throw Error(name, "unsupported pixel type: uint64 values above 2^63");
      }
      break;
    case 16:
      decode_as<float>(src, count, h, out);
      break;
    default:
      decode_as<double>(src, count, h, out);
      break;
  }
  return out;
}

// Number of image axes as ITK counts them: trailing extents of 1 beyond the third are dropped.
int64_t effective_dims(const NiftiHeader& h) {
  int64_t n = h.dim[0];
  while (n > 3 && h.dim[n] == 1) --n;
  return n;
}

// What the decoder does not handle: NIfTI-1 goes to ITK instead, NIfTI-2 is refused. `pair`:
// the header came from a .hdr (its voxels are in the .img).
std::string unsupported_reason(const NiftiHeader& h, bool pair) {
  if (h.bytes_per_voxel() == 0) return "datatype " + std::to_string(h.datatype);
  if (h.bitpix != 8 * h.bytes_per_voxel()) return "bitpix " + std::to_string(h.bitpix);
  if (h.intent_code >= 1004 && h.intent_code <= 1007) return "vector/matrix intent";
  if (effective_dims(h) > 4) return std::to_string(effective_dims(h)) + "-D image";
  if (!h.single_file && !pair) return "header-only file";
  if (h.single_file && pair) return "single-file magic in a .hdr";
  return "";
}

// The geometry the ITK path gives a NIfTI-1 file, from ITK's own header reading.
std::optional<Geometry> itk_header_geometry(const fs::path& path, const NiftiHeader& h) {
  auto io = itk::NiftiImageIO::New();
  io->SetFileName(path.string());
  io->ReadImageInformation();
  // Cross-check the two header readings; any disagreement sends the file down the ITK path.
  const bool float_out = h.datatype == 16 || (h.must_rescale() && h.datatype != 64);
  if ((io->GetComponentType() == itk::IOComponentEnum::FLOAT) != float_out ||
      static_cast<int64_t>(io->GetNumberOfDimensions()) != effective_dims(h) ||
      io->GetNumberOfComponents() != 1) {
    return std::nullopt;
  }
  for (unsigned i = 0; i < io->GetNumberOfDimensions(); ++i) {
    if (static_cast<int64_t>(io->GetDimensions(i)) != std::max<int64_t>(1, h.dim[i + 1])) {
      return std::nullopt;
    }
  }
  return geometry_from_image_io(*io);
}

// The voxels as they lie in `data`, without a copy, when they need no decoding at all: stored
// in this machine's byte order, unscaled, in a type unetx keeps as is, and aligned for it.
// Undefined otherwise. The tensor holds a share of the buffer, so it outlives `data`.
at::Tensor borrowed_voxels(const Bytes& data, int64_t count, const NiftiHeader& h) {
  const at::ScalarType kept = kept_dtype(h.datatype, h.must_rescale());
  // uint64 is excluded: its values need the range check in decode_voxels.
  const bool same_type =
      static_cast<int>(c10::elementSize(kept)) == h.bytes_per_voxel() && h.datatype != 1280;
  unsigned char* first = data.data.get() + h.data_offset();
  if (h.swapped || h.must_rescale() || !same_type || count == 0 ||
      reinterpret_cast<uintptr_t>(first) % c10::elementSize(kept) != 0) {
    return {};
  }
  return at::from_blob(first, {count}, [keep = data.data](void*) {}, at::TensorOptions(kept));
}

// The voxel file of a NIfTI-2 .hdr/.img pair: the .img (or .img.gz) beside the header.
fs::path pair_image(const fs::path& hdr) {
  fs::path img = hdr;
  img.replace_extension(".img");
  if (fs::exists(img)) return img;
  img += ".gz";
  if (fs::exists(img)) return img;
  throw Error(hdr.string(), "cannot read image: the .img file of this NIfTI-2 header is missing");
}

// Checks `h`, then decodes the voxels from `bytes` (the whole .nii, or the .img of a pair,
// inflated when gzip). nullopt when ITK should read the file instead (see read_nifti_fast).
std::optional<Volume> decode_image(const NiftiHeader& h, Bytes bytes, const fs::path& path,
                                   const std::string& name) {
  check_nifti_header(h, name);
  const std::string unsupported = unsupported_reason(h, has_suffix(path, ".hdr"));
  if (!unsupported.empty()) {
    if (h.version == 1) return std::nullopt;
    throw Error(name, "cannot read image: unsupported NIfTI-2 content (" + unsupported + ")");
  }
  const uint64_t count = h.voxel_count();
  uint64_t need = 0;
  if (count > (uint64_t{1} << 48) ||
      __builtin_add_overflow(h.data_offset(), count * h.bytes_per_voxel(), &need)) {
    throw Error(name, "cannot read image: implausible NIfTI dimensions (" + std::to_string(count) +
                          " voxels)");
  }
  if (is_gzip(bytes.begin(), bytes.size)) bytes = gunzip(bytes.begin(), bytes.size, name, need);
  if (bytes.size < need) {
    throw Error(name, "cannot read image: truncated NIfTI file (" + std::to_string(bytes.size) +
                          " of " + std::to_string(need) + " bytes)");
  }

  Volume v;
  if (h.version == 1) {
    std::optional<Geometry> g = itk_header_geometry(path, h);
    if (!g) return std::nullopt;
    v.geometry = *g;
  } else {
    v.geometry = nifti_geometry(h, name);
  }
  at::Tensor flat = borrowed_voxels(bytes, static_cast<int64_t>(count), h);
  if (!flat.defined()) {
    flat = decode_voxels(bytes.begin() + h.data_offset(), static_cast<int64_t>(count), h, name);
  }
  const auto extent = [&](int i) { return i <= h.dim[0] ? std::max<int64_t>(1, h.dim[i]) : 1; };
  v.data = flat.view({extent(4), extent(3), extent(2), extent(1)});
  // The ITK path's name: promoted integers are float32; scaled float64 keeps its stored name.
  v.meta["pixel_type"] =
      h.must_rescale() && h.datatype != 64 ? "float32" : nifti_type_name(h.datatype);
  add_nifti_scaling_meta(h, v);
  return v;
}

}  // namespace

void add_nifti_scaling_meta(const NiftiHeader& header, Volume& volume) {
  if (!header.must_rescale()) return;
  char buf[64];
  volume.meta["stored_pixel_type"] = nifti_type_name(header.datatype);
  std::snprintf(buf, sizeof buf, "%.9g", header.scl_slope);
  volume.meta["scl_slope"] = buf;
  std::snprintf(buf, sizeof buf, "%.9g", header.scl_inter);
  volume.meta["scl_inter"] = buf;
}

std::optional<Volume> read_nifti_fast(const fs::path& path) {
  if (has_suffix(path, ".hdr")) {
    // NIfTI-1 and Analyze pairs are ITK's; NIfTI-2 pairs (which ITK 5.2 cannot read) are ours.
    const std::optional<NiftiHeader> h = read_nifti_header_file(path);
    if (!h || h->version == 1) return std::nullopt;
    const fs::path img = pair_image(path);
    return decode_image(*h, read_file_bytes(img), path, img.string());
  }
  if (!has_suffix(path, ".nii") && !has_suffix(path, ".nii.gz")) return std::nullopt;
  const std::string name = path.string();
  // Uncompressed files are mapped, not read: their voxels are then used in place (see
  // mapped_file.h). gzip files are read whole, as they are inflated into a new buffer anyway.
  Bytes file = has_suffix(path, ".nii") ? map_file_bytes(path) : read_file_bytes(path);
  unsigned char head[540] = {};
  size_t head_n = std::min(file.size, sizeof head);
  if (is_gzip(file.begin(), file.size)) {
    head_n = gunzip_prefix(file.begin(), file.size, head, sizeof head);
  } else if (head_n > 0) {  // an empty file has no buffer
    std::memcpy(head, file.begin(), head_n);
  }
  const std::optional<NiftiHeader> parsed = parse_nifti_header(head, head_n);
  if (!parsed) return std::nullopt;  // not NIfTI-1/2 after all: ITK decides
  return decode_image(*parsed, std::move(file), path, name);
}

}  // namespace unetx::io
