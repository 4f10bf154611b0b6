// DICOM SEG reader: frames placed on a voxel grid by their plane position.
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmfg/fgpixmsr.h>
#include <dcmtk/dcmfg/fgplanor.h>
#include <dcmtk/dcmfg/fgplanpo.h>
#include <dcmtk/dcmfg/fgseg.h>
#include <dcmtk/dcmseg/segdoc.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>

#include "io/dicom_seg.h"
#include "io/error.h"

namespace unetx::io {
namespace {

// A frame may sit this far (in voxels) from a grid position: DS strings and other writers'
// float arithmetic round positions, but a frame between two slices must be refused.
constexpr double kIndexTolerance = 0.05;
// Direction cosines (absolute) and pixel spacing (relative) must agree this closely.
constexpr double kDirectionTolerance = 1e-3;
constexpr double kSpacingTolerance = 1e-3;

struct LoadedSeg {
  fs::path path;
  std::unique_ptr<DcmFileFormat> file;  // outlives `seg` and owns `packed`
  std::unique_ptr<DcmSegmentation> seg;
  const Uint8* packed = nullptr;  // binary PixelData as stored
  unsigned long packed_bytes = 0;
  Uint16 rows = 0, cols = 0;
  bool binary = true;
  Uint16 max_fractional = 255;
  Vec3 row_dir{}, col_dir{};                   // ImageOrientationPatient of the first frame
  std::optional<std::array<double, 2>> pixel;  // (x, y) = (column spacing, row spacing)
  std::optional<double> between;               // SpacingBetweenSlices
  std::optional<double> thickness;             // SliceThickness

  [[noreturn]] void fail(const std::string& reason) const { throw Error(path.string(), reason); }
  size_t frames() const { return seg->getNumberOfFrames(); }
  FGBase* group(size_t f, DcmFGTypes::E_FGType type) const {
    return seg->getFunctionalGroups().get(static_cast<Uint32>(f), type);
  }
};

std::array<Vec3, 2> orientation_of(const LoadedSeg& s, size_t f) {
  auto* o =
      dynamic_cast<FGPlaneOrientationPatient*>(s.group(f, DcmFGTypes::EFG_PLANEORIENTPATIENT));
  std::array<Vec3, 2> rc{};
  if (o == nullptr ||
      o->getImageOrientationPatient(rc[0][0], rc[0][1], rc[0][2], rc[1][0], rc[1][1], rc[1][2])
          .bad())
    s.fail("DICOM SEG frame " + std::to_string(f + 1) + " has no PlaneOrientation");
  return rc;
}

Vec3 position_of(const LoadedSeg& s, size_t f) {
  auto* p = dynamic_cast<FGPlanePosPatient*>(s.group(f, DcmFGTypes::EFG_PLANEPOSPATIENT));
  Vec3 v{};
  if (p == nullptr || p->getImagePositionPatient(v[0], v[1], v[2]).bad())
    s.fail("DICOM SEG frame " + std::to_string(f + 1) + " has no PlanePosition");
  return v;
}

Uint16 segment_of(const LoadedSeg& s, size_t f) {
  auto* g = dynamic_cast<FGSegmentation*>(s.group(f, DcmFGTypes::EFG_SEGMENTATION));
  Uint16 number = 0;
  if (g == nullptr || g->getReferencedSegmentNumber(number).bad() || number == 0)
    s.fail("DICOM SEG frame " + std::to_string(f + 1) + " names no segment");
  return number;
}

bool close(const Vec3& a, const Vec3& b, double tolerance) {
  for (int i = 0; i < 3; ++i)
    if (std::abs(a[i] - b[i]) > tolerance) return false;
  return true;
}

void read_measures(LoadedSeg& s) {
  auto* m = dynamic_cast<FGPixelMeasures*>(s.group(0, DcmFGTypes::EFG_PIXELMEASURES));
  if (m == nullptr) return;
  Float64 row_spacing = 0, col_spacing = 0, value = 0;
  if (m->getPixelSpacing(row_spacing, 0).good() && m->getPixelSpacing(col_spacing, 1).good())
    s.pixel = std::array<double, 2>{col_spacing, row_spacing};
  if (m->getSpacingBetweenSlices(value).good() && value > 0) s.between = value;
  if (m->getSliceThickness(value).good() && value > 0) s.thickness = value;
}

LoadedSeg load(const fs::path& path) {
  LoadedSeg s;
  s.path = path;
  if (!is_dicom_seg_file(path)) s.fail("not a DICOM Segmentation (SEG) file");
  s.file = std::make_unique<DcmFileFormat>();
  DcmFileFormat& file = *s.file;
  OFCondition cond = file.loadFile(path.string().c_str());
  if (cond.bad()) s.fail(std::string("cannot read DICOM SEG: ") + cond.text());
  // dcmseg keeps MaximumFractionalValue to itself; the dataset has it.
  Uint16 max_fractional = 0;
  if (file.getDataset()->findAndGetUint16(DCM_MaximumFractionalValue, max_fractional).good())
    s.max_fractional = max_fractional;
  file.getDataset()->findAndGetUint16(DCM_Rows, s.rows);
  file.getDataset()->findAndGetUint16(DCM_Columns, s.cols);
  DcmSegmentation* raw = nullptr;
  cond = DcmSegmentation::loadDataset(*file.getDataset(), raw);
  s.seg.reset(raw);
  if (cond.bad() || !s.seg) s.fail(std::string("cannot read DICOM SEG: ") + cond.text());
  s.binary = s.seg->getSegmentationType() == DcmSegTypes::ST_BINARY;
  DcmElement* pixel_data = nullptr;
  Uint8* bytes = nullptr;
  if (s.binary && file.getDataset()->findAndGetElement(DCM_PixelData, pixel_data).good() &&
      pixel_data->getUint8Array(bytes).good()) {
    s.packed = bytes;
    s.packed_bytes = pixel_data->getLength();
  }
  if (!s.binary && s.seg->getSegmentationType() != DcmSegTypes::ST_FRACTIONAL)
    s.fail("DICOM SEG of unknown SegmentationType");
  if (s.max_fractional == 0) s.fail("DICOM SEG with MaximumFractionalValue 0");
  if (s.frames() == 0 || s.rows == 0 || s.cols == 0) s.fail("DICOM SEG holds no frames");
  const auto rc = orientation_of(s, 0);
  s.row_dir = rc[0];
  s.col_dir = rc[1];
  read_measures(s);
  return s;
}

// One frame as a (rows, cols) bool mask.
at::Tensor frame_mask(const LoadedSeg& s, size_t f) {
  const size_t pixels = static_cast<size_t>(s.rows) * s.cols;
  if (!s.binary) {
    const DcmIODTypes::Frame* frame = s.seg->getFrame(f);
    if (frame == nullptr || frame->length < pixels)
      s.fail("DICOM SEG frame " + std::to_string(f + 1) + " has too little pixel data");
    const at::Tensor values =
        at::from_blob(frame->pixData, {s.rows, s.cols}, at::kByte).to(at::kInt);
    // Threshold at 50%: 2 * value >= MaximumFractionalValue.
    return values.mul(2).ge(static_cast<int>(s.max_fractional));
  }
  // Binary frames are unpacked from PixelData here: DCMTK 3.6.7 misplaces frames that start
  // inside a byte (rows * cols not a multiple of 8). Pixel i of frame f is bit f * rows * cols
  // + i, least significant bit first.
  if (s.packed == nullptr || (f + 1) * pixels > s.packed_bytes * 8)
    s.fail("DICOM SEG frame " + std::to_string(f + 1) + " lies beyond the pixel data");
  at::Tensor mask = at::empty({s.rows, s.cols}, at::kBool);
  bool* m = mask.data_ptr<bool>();
  for (size_t i = 0, bit = f * pixels; i < pixels; ++i, ++bit)
    m[i] = (s.packed[bit >> 3] >> (bit & 7)) & 1u;
  return mask;
}

void check_grid(const LoadedSeg& s, const Geometry& grid, const Size3& size) {
  if (s.cols != size[0] || s.rows != size[1])
    s.fail("DICOM SEG frames are " + std::to_string(s.cols) + "x" + std::to_string(s.rows) +
           ", the image slices " + std::to_string(size[0]) + "x" + std::to_string(size[1]));
  const Mat3& d = grid.direction;
  if (!close(s.row_dir, {d[0], d[3], d[6]}, kDirectionTolerance) ||
      !close(s.col_dir, {d[1], d[4], d[7]}, kDirectionTolerance))
    s.fail("DICOM SEG orientation differs from the image's");
  if (s.pixel) {
    for (int a = 0; a < 2; ++a)
      if (std::abs((*s.pixel)[a] - grid.spacing[a]) > kSpacingTolerance * grid.spacing[a])
        s.fail("DICOM SEG pixel spacing differs from the image's");
  }
}

Volume map_frames(const LoadedSeg& s, const Geometry& grid, const Size3& size) {
  check_grid(s, grid, size);
  at::Tensor out = at::zeros({1, size[2], size[1], size[0]}, at::kInt);
  bool overlap = false;
  for (size_t f = 0; f < s.frames(); ++f) {
    const auto rc = orientation_of(s, f);
    if (!close(rc[0], s.row_dir, kDirectionTolerance) ||
        !close(rc[1], s.col_dir, kDirectionTolerance))
      s.fail("DICOM SEG frame " + std::to_string(f + 1) + " orientation differs from the image's");
    const Vec3 index = grid.physical_to_index(position_of(s, f));
    const double z = std::round(index[2]);
    if (std::abs(index[0]) > kIndexTolerance || std::abs(index[1]) > kIndexTolerance ||
        std::abs(index[2] - z) > kIndexTolerance || z < 0 || z >= size[2])
      s.fail("DICOM SEG frame " + std::to_string(f + 1) + " lies off the image grid (index " +
             std::to_string(index[0]) + ", " + std::to_string(index[1]) + ", " +
             std::to_string(index[2]) + ")");
    const int segment = segment_of(s, f);
    const at::Tensor mask = frame_mask(s, f);
    at::Tensor slice = out[0][static_cast<int64_t>(z)];
    overlap = overlap || (mask & slice.ne(0) & slice.ne(segment)).any().item<bool>();
    slice.masked_fill_(mask & slice.lt(segment), segment);
  }
  if (overlap)
    spdlog::warn("{}: DICOM SEG segments overlap; the higher segment number wins", s.path.string());
  Volume v;
  v.geometry = grid;
  v.data = s.seg->getNumberOfSegments() <= 255 ? out.to(at::kByte) : out;
  v.meta["source"] = "dicom-seg";
  return v;
}

Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}

double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

}  // namespace

Volume read_dicom_seg(const fs::path& seg, const Geometry& grid, const Size3& size) {
  return map_frames(load(seg), grid, size);
}

Volume read_dicom_seg(const fs::path& seg) {
  const LoadedSeg s = load(seg);
  const Vec3 normal = cross(s.row_dir, s.col_dir);
  std::vector<double> depths;
  Vec3 first{};
  double lowest = 0;
  for (size_t f = 0; f < s.frames(); ++f) {
    const Vec3 p = position_of(s, f);
    const double depth = dot(p, normal);
    if (depths.empty() || depth < lowest) first = p, lowest = depth;
    depths.push_back(depth);
  }
  std::sort(depths.begin(), depths.end());
  const std::array<double, 2> pixel = s.pixel.value_or(std::array<double, 2>{1.0, 1.0});
  const double merge = 1e-3 * std::min(pixel[0], pixel[1]);  // same plane, rounding apart
  double gap = 0;
  for (size_t i = 1; i < depths.size(); ++i) {
    const double d = depths[i] - depths[i - 1];
    if (d > merge && (gap == 0 || d < gap)) gap = d;
  }
  const double dz = s.between ? *s.between : gap > 0 ? gap : s.thickness.value_or(1.0);
  Geometry g;
  g.spacing = {pixel[0], pixel[1], dz};
  g.origin = first;
  g.direction = {s.row_dir[0], s.col_dir[0], normal[0],    s.row_dir[1], s.col_dir[1],
                 normal[1],    s.row_dir[2], s.col_dir[2], normal[2]};
  const auto slices = static_cast<int64_t>(std::lround((depths.back() - depths.front()) / dz)) + 1;
  return map_frames(s, g, {s.cols, s.rows, slices});
}

}  // namespace unetx::io
