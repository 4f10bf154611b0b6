#include "pipeline/preprocess_run.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "io/error.h"
#include "io/image_io.h"
#include "io/json_file.h"
#include "io/label_io.h"
#include "pipeline/case_prep.h"
#include "pipeline/modality.h"
#include "pipeline/plan_rules.h"

namespace unetx::pipeline {
namespace {

namespace fs = std::filesystem;

// The voxel box planning works with: the nonzero box when cases are cropped, else the image.
std::array<int64_t, 3> planned_size(const CaseFingerprint& c, bool crop) {
  return crop ? c.nonzero.on(c.size).size : c.size;
}

// Per channel: the user's scheme(s), or the modality's default (CT -> "ct", else "zscore").
std::vector<ChannelNormalization> channel_schemes(const DatasetFingerprint& f,
                                                  const PreprocessSettings& s) {
  const size_t channels = static_cast<size_t>(f.channels());
  if (s.normalization.size() > 1 && s.normalization.size() != channels)
    throw Error("--normalization", "lists " + std::to_string(s.normalization.size()) +
                                       " schemes for " + std::to_string(channels) + " channel(s)");
  std::vector<ChannelNormalization> out(channels);
  for (size_t k = 0; k < channels; ++k) {
    if (!s.normalization.empty()) {
      out[k].scheme = s.normalization.size() == 1 ? s.normalization[0] : s.normalization[k];
    } else {
      out[k].scheme = modality_family(f.modality[k]) == "CT" ? "ct" : "zscore";
    }
    if (!is_normalization_scheme(out[k].scheme))
      throw Error("--normalization", "unknown scheme \"" + out[k].scheme +
                                         "\" (zscore, zscore_nonzero or ct)");
    if (out[k].scheme != "ct") continue;
    const ChannelIntensity& i = f.intensity[k];
    if (i.samples == 0)
      throw Error("channel " + std::to_string(k),
                  "CT normalization needs foreground intensities, and no case has any");
    out[k].clip_low = i.percentile_00_5;
    out[k].clip_high = i.percentile_99_5;
    out[k].mean = i.mean;
    out[k].std = i.std;
  }
  return out;
}

std::string summary_scheme(const std::vector<ChannelNormalization>& channels) {
  for (const auto& c : channels)
    if (c.scheme != channels.front().scheme) return "mixed";
  return channels.empty() ? "zscore" : channels.front().scheme;
}

// The median case shape in voxels at `target` (x, y, z; z kept for 2-D plans) and the voxel
// count of the whole resampled dataset.
std::pair<std::array<int64_t, 3>, double> planned_shapes(const DatasetFingerprint& f,
                                                         const std::array<double, 3>& target,
                                                         const PreprocessSettings& s) {
  std::array<std::vector<double>, 3> axes;
  double total = 0;
  for (const auto& c : f.cases) {
    const auto size = planned_size(c, s.crop_to_nonzero);
    double voxels = 1;
    for (int a = 0; a < 3; ++a) {
      const double to = (a == 2 && s.spatial_dims == 2) ? c.spacing[2] : target[a];
      const double n = std::max(1.0, std::round(size[a] * c.spacing[a] / to));
      axes[a].push_back(n);
      voxels *= n;
    }
    total += voxels;
  }
  std::array<int64_t, 3> shape{};
  for (int a = 0; a < 3; ++a) shape[a] = std::llround(median(axes[a]));
  return {shape, total};
}

std::vector<std::string> label_names(int max_label, const std::vector<std::string>& names) {
  std::vector<std::string> out{"background"};
  for (int k = 1; k <= std::max(1, max_label); ++k)
    out.push_back(k < static_cast<int>(names.size()) ? names[k] : "label_" + std::to_string(k));
  return out;
}

}  // namespace

Plan make_plan(const DatasetFingerprint& f, const PreprocessSettings& s) {
  Plan plan;
  plan.num_cases = static_cast<int>(f.cases.size());
  plan.median_spacing = f.median_spacing;
  plan.median_size = f.median_size;
  plan.fingerprint = f.to_json();
  std::vector<std::array<double, 3>> spacings;
  std::vector<std::array<int64_t, 3>> sizes;
  for (const auto& c : f.cases) {
    spacings.push_back(c.spacing);
    sizes.push_back(planned_size(c, s.crop_to_nonzero));
  }
  plan.target_spacing = s.target_spacing.value_or(plan_target_spacing(spacings, sizes));
  plan.in_channels = f.channels();
  plan.modality = f.modality;
  plan.channel_normalization = channel_schemes(f, s);
  plan.normalization = summary_scheme(plan.channel_normalization);
  plan.crop_to_nonzero = s.crop_to_nonzero;
  plan.orientation = s.orientation;
  plan.spatial_dims = s.spatial_dims;
  plan.labels = label_names(f.max_label, s.label_names);

  const auto [shape, dataset_voxels] = planned_shapes(f, plan.target_spacing, s);
  PatchPlanRequest request;
  request.median_shape = shape;
  request.spacing = plan.target_spacing;
  request.spatial_dims = s.spatial_dims;
  request.in_channels = plan.in_channels;
  request.num_classes = plan.num_classes();
  request.features = s.features;
  request.budget_bytes = s.memory_budget_gb * 1e9;
  request.dataset_voxels = dataset_voxels;
  request.patch = s.patch_size;
  if (s.batch_size > 0) request.batch = s.batch_size;
  const PatchPlan pp = plan_patch_and_batch(request);
  if (!pp.fits)
    spdlog::warn("plan: training needs about {:.2f} GB, more than the --memory-budget of {} GB",
                 pp.bytes / 1e9, s.memory_budget_gb);
  plan.patch_size = pp.patch;
  plan.batch_size = pp.batch;
  plan.memory_budget_gb = s.memory_budget_gb;
  plan.estimated_memory_gb = pp.bytes / 1e9;
  const std::vector<int64_t> features(s.features.begin(), s.features.begin() + pp.depth);
  plan.network = {
      {"name", "unet"}, {"features", features}, {"dropout", s.dropout}, {"norm", s.norm}};
  const auto pool_strides = network_pool_strides(pp.pool_strides, s.spatial_dims);
  if (!pool_strides.empty()) plan.network["pool_strides"] = pool_strides;
  return plan;
}

RunSummary run_preprocess(const PreprocessSettings& s, dist::Communicator& comm) {
  const io::Cohort cohort = io::read_cohort(s.input);
  const DatasetFingerprint fingerprint = fingerprint_cohort(cohort, s.orientation);
  const auto oblique = std::count_if(fingerprint.cases.begin(), fingerprint.cases.end(),
                                     [](const CaseFingerprint& c) { return !c.axis_aligned; });
  // Whole axes are permuted to LPS, but an oblique residue stays: x, y, z are then only the
  // nearest patient axes.
  if (oblique > 0)
    spdlog::warn("fingerprint: {} of {} case(s) have voxel axes oblique to the patient axes; "
                 "their axes are matched to the nearest patient axes, not resampled",
                 oblique, fingerprint.cases.size());
  const Plan plan = make_plan(fingerprint, s);
  const std::string pooling = plan.network.contains("pool_strides")
                                  ? " (pool strides " + plan.network["pool_strides"].dump() + ")"
                                  : "";
  spdlog::info(
      "plan: {} cases, target spacing {:.3g} x {:.3g} x {:.3g} mm, patch {}x{}x{}, batch {}, "
      "{} levels{}, {}-D, normalization {}, crop {}, ~{:.2f} GB",
      plan.num_cases, plan.target_spacing[0], plan.target_spacing[1], plan.target_spacing[2],
      plan.patch_size[0], plan.patch_size[1], plan.patch_size[2], plan.batch_size,
      plan.network["features"].size(), pooling, plan.spatial_dims, plan.normalization,
      plan.crop_to_nonzero ? "to nonzero" : "off", plan.estimated_memory_gb);
  const fs::path cases_dir = s.output / "cases";
  fs::create_directories(cases_dir);

  CohortTask task;
  task.what = "preprocess";
  task.output = s.output;
  task.columns = {"image", "label", "preparation"};
  task.outputs = [&](const io::Case& c) {
    std::vector<fs::path> files{cases_dir / (c.id + ".nii"), cases_dir / (c.id + ".json")};
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
    const fs::path image_file = cases_dir / (c.id + ".nii");
    io::write_image(io::Volume{prepared.image, prepared.geometry, {}}, image_file);
    std::map<std::string, std::string> row{{"image", relative_to(image_file, s.output)},
                                           {"label", ""}};
    if (prepared.label.defined()) {
      const fs::path label_file = cases_dir / (c.id + "_label.nii");
      io::write_image(io::Volume{prepared.label, prepared.geometry, {}}, label_file);
      row["label"] = relative_to(label_file, s.output);
    }
    // Written last: with it the case is complete (its geometry maps predictions back).
    const fs::path preparation_file = cases_dir / (c.id + ".json");
    io::write_json(preparation_file, preparation_json(prepared));
    row["preparation"] = relative_to(preparation_file, s.output);
    return row;
  };
  RunSummary summary = run_cohort(cohort, task, comm);
  if (!comm.is_root()) return summary;

  plan.save(s.output / "plan.json");
  spdlog::info("wrote {} ({} classes)", (s.output / "plan.json").string(), plan.num_classes());
  return summary;
}

}  // namespace unetx::pipeline
