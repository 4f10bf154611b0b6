#include "pipeline/demo_data.h"

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "io/error.h"
#include "io/image_io.h"
#include "io/manifest.h"

namespace unetx::pipeline {
namespace {

namespace fs = std::filesystem;

// Voxels z0 .. z0+depth-1 of `v` as a volume of their own, placed where they were in space.
io::Volume slab(const io::Volume& v, int64_t z0, int64_t depth) {
  io::Volume out;
  out.data = v.data.narrow(1, z0, depth).clone();
  out.geometry = v.geometry;
  out.geometry.origin = v.geometry.index_to_physical({0.0, 0.0, static_cast<double>(z0)});
  return out;
}

io::Volume read_template(const fs::path& file) {
  if (!fs::exists(file))
    throw Error(file.string(), "missing: install Debian's mricron-data (scripts/setup.sh does)");
  return io::read_image(file);
}

}  // namespace

DemoData make_demo_data(const DemoDataSettings& s) {
  io::Volume head = read_template(s.templates / "ch2.nii.gz");
  io::Volume brain = read_template(s.templates / "ch2bet.nii.gz");
  if (!io::same_grid(head, brain))
    throw Error((s.templates / "ch2bet.nii.gz").string(), "grid differs from ch2.nii.gz");
  io::Volume mask{(brain.data > 0).to(at::kByte), brain.geometry, {}};

  int64_t first = 0, end = head.data.size(1);  // axial range to cut
  if (s.brain_range_only) {
    const at::Tensor rows = at::nonzero(mask.data[0].sum({1, 2}) > 0).flatten();
    first = rows.min().item<int64_t>();
    end = rows.max().item<int64_t>() + 1;
  }
  const int64_t depth = (end - first) / s.slabs;
  std::vector<io::ManifestRow> train, test;
  for (int k = 0; k < s.slabs; ++k) {
    const std::string id = fmt::format("colin_slab{}", k);
    const int64_t z0 = first + k * depth;
    const int64_t d = k + 1 == s.slabs ? end - z0 : depth;
    const fs::path image_file = s.output / "images" / (id + ".nii.gz");
    const fs::path label_file = s.output / "labels" / (id + ".nii.gz");
    if (!fs::exists(image_file)) io::write_image(slab(head, z0, d), image_file);
    if (!fs::exists(label_file)) io::write_image(slab(mask, z0, d), label_file);
    const bool held = std::find(s.held_out.begin(), s.held_out.end(), k) != s.held_out.end();
    const int level = k * std::max(1, s.level_bands) / s.slabs;
    (held ? test : train)
        .push_back({id,
                    {{"image", "../images/" + id + ".nii.gz"},
                     {"label", "../labels/" + id + ".nii.gz"},
                     {"level", std::to_string(level)}},
                    "ok"});
  }
  fs::create_directories(s.output);
  io::write_manifest(s.output / "train", {"image", "label", "level"}, train);
  io::write_manifest(s.output / "test", {"image", "label", "level"}, test);
  spdlog::info("demo data: Colin27 cut into {} axial slabs of {} slices; {} train, {} held out",
               s.slabs, depth, train.size(), test.size());
  return {s.output / "train" / "manifest.csv", s.output / "test" / "manifest.csv"};
}

}  // namespace unetx::pipeline
