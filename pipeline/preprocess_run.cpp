#include "pipeline/preprocess_run.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "io/error.h"
#include "io/image_io.h"
#include "io/label_io.h"
#include "pipeline/case_prep.h"
#include "pipeline/plan.h"

namespace unetx::pipeline {
namespace {

namespace fs = std::filesystem;

template <typename T>
T median(std::vector<T> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Patch edge for one axis: the data's extent rounded up to the network's size divisor,
// capped so a batch fits a laptop-class CPU (deeper planning comes with the memory budget).
int64_t patch_edge(int64_t extent, int64_t divisor, int64_t cap) {
  int64_t edge = std::min(extent, cap);
  return std::max(divisor, (edge + divisor - 1) / divisor * divisor);
}

Plan make_plan(const io::Cohort& cohort, const PreprocessSettings& s) {
  std::array<std::vector<double>, 3> spacings;
  std::array<std::vector<int64_t>, 3> sizes;
  int channels = 0;
  int max_label = 1;
  for (const auto& c : cohort.cases) {
    try {
      io::Volume v = io::read_image(c.images.front());
      // A case with a broken spacing fails later on its own; it must not skew the median.
      const auto& sp = v.geometry.spacing;
      if (!(sp[0] > 0 && sp[1] > 0 && sp[2] > 0)) continue;
      for (int a = 0; a < 3; ++a) {
        spacings[a].push_back(v.geometry.spacing[a]);
        sizes[a].push_back(v.size()[a]);
      }
      channels = std::max<int>(channels, static_cast<int>(c.images.size() * v.channels()));
      // The highest label value fixes the class count before any case is prepared.
      if (c.label)
        max_label = std::max(max_label, io::read_label(*c.label, v).data.max().item<int>());
    } catch (const std::exception& e) {
      spdlog::warn("fingerprint: skipping case {}: {}", c.id, e.what());
    }
  }
  if (spacings[0].empty()) throw Error(cohort.source.string(), "no readable image in the cohort");
  Plan plan;
  plan.num_cases = static_cast<int>(spacings[0].size());
  for (int a = 0; a < 3; ++a) {
    plan.median_spacing[a] = median(spacings[a]);
    plan.median_size[a] = median(sizes[a]);
  }
  plan.target_spacing = s.target_spacing.value_or(plan.median_spacing);
  plan.in_channels = channels;
  plan.spatial_dims = s.spatial_dims;
  const int64_t divisor = int64_t{1} << (s.features.size() - 1);
  if (s.patch_size) {
    plan.patch_size = *s.patch_size;
  } else {
    for (int a = 0; a < 3; ++a) {
      auto extent = static_cast<int64_t>(
          std::lround(plan.median_size[a] * plan.median_spacing[a] / plan.target_spacing[a]));
      plan.patch_size[a] = patch_edge(extent, divisor, s.spatial_dims == 2 ? 256 : 96);
    }
    if (s.spatial_dims == 2) plan.patch_size[2] = 1;
  }
  plan.batch_size = s.batch_size > 0 ? s.batch_size : (s.spatial_dims == 2 ? 8 : 2);
  plan.network = {
      {"name", "unet"}, {"features", s.features}, {"dropout", s.dropout}, {"norm", s.norm}};
  plan.labels = {"background"};
  for (int k = 1; k <= max_label; ++k)
    plan.labels.push_back(k < static_cast<int>(s.label_names.size())
                              ? s.label_names[k]
                              : "label_" + std::to_string(k));
  return plan;
}

}  // namespace

RunSummary run_preprocess(const PreprocessSettings& s, dist::Communicator& comm) {
  const io::Cohort cohort = io::read_cohort(s.input);
  Plan plan = make_plan(cohort, s);
  spdlog::info("plan: {} cases, target spacing {:.3g} x {:.3g} x {:.3g} mm, patch {}x{}x{}, {}-D",
               plan.num_cases, plan.target_spacing[0], plan.target_spacing[1],
               plan.target_spacing[2], plan.patch_size[0], plan.patch_size[1], plan.patch_size[2],
               plan.spatial_dims);
  const fs::path cases_dir = s.output / "cases";
  fs::create_directories(cases_dir);

  CohortTask task;
  task.what = "preprocess";
  task.output = s.output;
  task.columns = {"image", "label"};
  task.outputs = [&](const io::Case& c) {
    std::vector<fs::path> files{cases_dir / (c.id + ".nii")};
    if (c.label) files.push_back(cases_dir / (c.id + "_label.nii"));
    return files;
  };
  task.process = [&](const io::Case& c) -> std::map<std::string, std::string> {
    io::Volume image = io::read_channels(c.images);
    if (image.channels() != plan.in_channels)
      throw Error(c.images.front().string(), "has " + std::to_string(image.channels()) +
                                                 " channel(s), the cohort has " +
                                                 std::to_string(plan.in_channels));
    std::optional<io::Volume> label;
    if (c.label) label = io::read_label(*c.label, image);
    PreparedCase prepared = prepare_case(c.id, image, label ? &*label : nullptr, plan);
    io::Volume out_image{prepared.image, prepared.geometry, {}};
    const fs::path image_file = cases_dir / (c.id + ".nii");
    io::write_image(out_image, image_file);
    std::map<std::string, std::string> row{{"image", relative_to(image_file, s.output)},
                                           {"label", ""}};
    if (prepared.label.defined()) {
      const fs::path label_file = cases_dir / (c.id + "_label.nii");
      io::write_image(io::Volume{prepared.label, prepared.geometry, {}}, label_file);
      row["label"] = relative_to(label_file, s.output);
    }
    return row;
  };
  RunSummary summary = run_cohort(cohort, task, comm);
  if (!comm.is_root()) return summary;

  plan.save(s.output / "plan.json");
  spdlog::info("wrote {} ({} classes)", (s.output / "plan.json").string(), plan.num_classes());
  return summary;
}

}  // namespace unetx::pipeline
