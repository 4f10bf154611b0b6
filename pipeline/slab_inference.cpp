#include "pipeline/slab_inference.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "io/error.h"
#include "io/mapped_file.h"
#include "pipeline/orientation.h"
#include "pipeline/resample.h"

namespace unetx::pipeline {

namespace {

using Zyx = std::array<int64_t, 3>;

// Zero float32 values of `sizes` in a scratch file mapping under `dir` (io/mapped_file.h).
at::Tensor scratch_floats(const std::vector<int64_t>& sizes, const std::filesystem::path& dir) {
  int64_t n = 1;
  for (int64_t s : sizes) n *= s;
  io::Bytes bytes = io::map_scratch_bytes(static_cast<size_t>(n) * sizeof(float), dir);
  void* data = bytes.data.get();
  return at::from_blob(data, sizes, [keep = std::move(bytes.data)](void*) {}, at::kFloat);
}

// Maps finished plan-grid slabs to the original grid as they arrive. The plan grid covers the
// case's crop box (the whole grid unless the plan crops to the nonzero region); outside it the
// case is background, as restore_to_original makes it. Linear interpolation along z needs plan
// rows floor(p) and floor(p) + 1 for box row k at p = k * (original z spacing / plan z spacing),
// the positions resample() uses; a row is produced as soon as both are in, and plan rows no later
// row needs are dropped. In-plane, resample() itself does the work.
class SlabRestorer {
 public:
  SlabRestorer(const PreparedCase& pc, int64_t classes, const ProbabilityOutput& probabilities)
      : pc_(pc),
        canonical_(pc.canonical_geometry()),
        box_(pc.crop.on(pc.canonical_size())),
        scale_(canonical_.spacing[2] / pc.geometry.spacing[2]),
        plan_rows_(pc.image.size(1)),
        box_rows_(box_.size[2]) {
    const auto s = pc.canonical_size();
    out_.labels = at::zeros({1, s[2], s[1], s[0]}, at::kByte);  // background
    if (probabilities.keep) {
      // Held as stored on the original grid from the start (rows are copied to their stored
      // places as they are made), so no canonical whole-volume copy is ever needed.
      const auto& o = pc.original_size;
      const std::vector<int64_t> sizes{classes, o[2], o[1], o[0]};
      out_.probs_original = probabilities.scratch_dir.empty()
                                ? at::zeros(sizes, at::kFloat)
                                : scratch_floats(sizes, probabilities.scratch_dir);
      // Background outside the box: class 0 certain, or foreground probability 0 when K == 1.
      if (classes > 1) out_.probs_original[0].fill_(1.0);
    }
  }

  void push(int64_t z0, const at::Tensor& slab) {
    if (z0 != buf_z0_ + (buf_.defined() ? buf_.size(1) : 0))
      throw Error(pc_.id, "slab-wise inference: slabs arrived out of order");
    buf_ = buf_.defined() ? at::cat({buf_, slab}, 1) : slab;
    ++out_.slabs;
    produce();
  }

  SlabPrediction finish() {
    if (next_ != box_rows_)
      throw Error(pc_.id, "slab-wise inference: the slabs did not cover the volume");
    // Rows were produced on the canonical axes; the original grid may store them otherwise.
    out_.labels = undo_reorientation(out_.labels, pc_.axes);
    return std::move(out_);
  }

 private:
  double position(int64_t k) const {
    return std::clamp(static_cast<double>(k) * scale_, 0.0, static_cast<double>(plan_rows_ - 1));
  }
  int64_t lower(int64_t k) const { return static_cast<int64_t>(std::floor(position(k))); }
  int64_t upper(int64_t k) const { return std::min(lower(k) + 1, plan_rows_ - 1); }

  void produce() {
    const int64_t buf_end = buf_z0_ + buf_.size(1);
    int64_t end = next_;
    while (end < box_rows_ && upper(end) < buf_end) ++end;
    if (end == next_) return;
    std::vector<int64_t> lo, hi;
    std::vector<float> weight;
    for (int64_t k = next_; k < end; ++k) {
      lo.push_back(lower(k) - buf_z0_);
      hi.push_back(upper(k) - buf_z0_);
      weight.push_back(static_cast<float>(position(k) - std::floor(position(k))));
    }
    const int64_t n = end - next_;
    const auto w = at::tensor(weight).view({1, n, 1, 1});
    at::Tensor rows =
        at::lerp(buf_.index_select(1, at::tensor(lo)), buf_.index_select(1, at::tensor(hi)), w);
    const auto& from = pc_.geometry.spacing;
    const auto& to = canonical_.spacing;
    rows = resample(rows, {from[0], from[1], 1.0}, {to[0], to[1], 1.0},
                    {box_.size[0], box_.size[1], n}, Interp::Linear);
    auto in_box = [&](const at::Tensor& t) {
      return t.slice(1, box_.begin[2] + next_, box_.begin[2] + end)
          .slice(2, box_.begin[1], box_.begin[1] + box_.size[1])
          .slice(3, box_.begin[0], box_.begin[0] + box_.size[0]);
    };
    in_box(out_.labels).copy_(labels_volume(rows, canonical_).data);
    if (out_.probs_original.defined()) {
      copy_to_original(rows, {box_.begin[0], box_.begin[1], box_.begin[2] + next_}, pc_.axes,
                       out_.probs_original);
    }
    next_ = end;
    const int64_t needed_from = next_ < box_rows_ ? lower(next_) : buf_end;
    if (needed_from > buf_z0_) {
      buf_ = buf_.slice(1, needed_from - buf_z0_).contiguous();
      buf_z0_ = needed_from;
    }
  }

  const PreparedCase& pc_;
  io::Geometry canonical_;  // the original grid on the plan's axes (PreparedCase::axes)
  CropBox box_;             // on that grid
  double scale_;
  int64_t plan_rows_;
  int64_t box_rows_;
  at::Tensor buf_;  // plan rows [buf_z0_, buf_z0_ + buf_.size(1)), (K, rows, Y, X)
  int64_t buf_z0_ = 0;
  int64_t next_ = 0;  // the next box row to produce
  SlabPrediction out_;
};

}  // namespace

void sliding_window_slabs(const at::Tensor& image, int64_t out_channels,
                          const SlidingWindowOptions& options, int64_t band_rows,
                          const WindowFn& fn,
                          const std::function<void(int64_t z0, const at::Tensor& slab)>& emit) {
  if (image.dim() != 4) throw Error("", "sliding window: image must be (C, Z, Y, X)");
  const WindowGrid grid = window_grid({image.size(1), image.size(2), image.size(3)}, options);
  const at::Tensor x = pad_to_grid(image, grid);
  const Zyx& p = grid.patch;
  const Zyx& n = grid.padded;
  // A window never spans more than the band: then every window fits once the rows above its
  // start are flushed (starts are sorted by z).
  const int64_t band = std::clamp(band_rows, p[0], n[0]);
  const auto weight = gaussian_importance({p[2], p[1], p[0]}).to(image.device());
  auto acc = at::zeros({out_channels, band, n[1], n[2]}, x.options());
  auto weight_sum = at::zeros({1, band, n[1], n[2]}, x.options());
  int64_t base = 0;  // padded z of the band's first row
  // Rows [base, end) are final: emit their unpadded part, then move the open rows up the band.
  auto flush = [&](int64_t end) {
    const int64_t rows = end - base;
    if (rows <= 0) return;
    const int64_t lo = std::max(base, grid.pad_lo[0]);
    const int64_t hi = std::min(end, grid.pad_lo[0] + grid.size[0]);
    if (lo < hi) {
      at::Tensor slab =
          acc.slice(1, lo - base, hi - base) / weight_sum.slice(1, lo - base, hi - base);
      emit(lo - grid.pad_lo[0], slab.slice(2, grid.pad_lo[1], grid.pad_lo[1] + grid.size[1])
                                    .slice(3, grid.pad_lo[2], grid.pad_lo[2] + grid.size[2])
                                    .contiguous());
    }
    // Row by row, upwards: a source row is always below its destination, so none is overwritten
    // before it is read, and no second band is allocated.
    for (int64_t j = 0; j + rows < band; ++j) {
      acc.select(1, j).copy_(acc.select(1, j + rows));
      weight_sum.select(1, j).copy_(weight_sum.select(1, j + rows));
    }
    acc.slice(1, std::max<int64_t>(0, band - rows)).zero_();
    weight_sum.slice(1, std::max<int64_t>(0, band - rows)).zero_();
    base = end;
  };
  run_windows(x, grid, out_channels, options, fn, [&](size_t i, const at::Tensor& out) {
    const Zyx& c = grid.starts[i];
    if (c[0] + p[0] > base + band) flush(c[0]);
    const Zyx local{c[0] - base, c[1], c[2]};
    window_box(acc, local, p).add_(out * weight);
    window_box(weight_sum, local, p).add_(weight);
  });
  flush(n[0]);
}

double whole_volume_bytes(const PreparedCase& pc, int64_t classes,
                          const SlidingWindowOptions& options) {
  const auto& im = pc.image;
  const WindowGrid grid = window_grid({im.size(1), im.size(2), im.size(3)}, options);
  const double padded = static_cast<double>(grid.padded[0] * grid.padded[1] * grid.padded[2]);
  const auto s = pc.canonical_size();
  const double original = static_cast<double>(s[0] * s[1] * s[2]);
  return 4.0 * static_cast<double>(classes) * (2.0 * padded + 2.0 * original);
}

int64_t band_rows_for_budget(const PreparedCase& pc, int64_t classes,
                             const SlidingWindowOptions& options, double budget_bytes) {
  const auto& im = pc.image;
  const WindowGrid grid = window_grid({im.size(1), im.size(2), im.size(3)}, options);
  const double k = static_cast<double>(classes);
  const double plane = static_cast<double>(grid.size[1] * grid.size[2]);
  const double padded_plane = static_cast<double>(grid.padded[1] * grid.padded[2]);
  const auto s = pc.canonical_size();
  const double big_plane =
      static_cast<double>(std::max(s[1], grid.size[1]) * std::max(s[0], grid.size[2]));
  // Per plan row: the band (K + 1 channels); the emitted slab, its crop and the restorer's
  // concatenated buffer (3 K-planes); per original row derived from it (plan/original z
  // spacing of them): the two gathered rows and their blend, then the in-plane resampling's
  // intermediate and result.
  const double per_original = pc.geometry.spacing[2] / pc.canonical_geometry().spacing[2];
  const double per_row = 4.0 * ((k + 1) * padded_plane + 3 * k * plane +
                                per_original * (3 * k * plane + 2 * k * big_plane));
  const auto rows = static_cast<int64_t>(budget_bytes / per_row);
  return std::max(rows, grid.patch[0]);
}

SlabPrediction predict_slabs(const PreparedCase& pc, int64_t classes,
                             const SlidingWindowOptions& options, int64_t band_rows,
                             const WindowFn& fn, const ProbabilityOutput& probabilities) {
  SlabRestorer restorer(pc, classes, probabilities);
  sliding_window_slabs(pc.image, classes, options, band_rows, fn,
                       [&](int64_t z0, const at::Tensor& slab) { restorer.push(z0, slab); });
  return restorer.finish();
}

}  // namespace unetx::pipeline
