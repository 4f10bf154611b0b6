#include "xai/uncertainty_run.h"

#include <map>
#include <optional>
#include <sstream>

#include "io/error.h"
#include "io/image_io.h"
#include "io/json_file.h"
#include "io/label_io.h"
#include "pipeline/ensemble.h"
#include "pipeline/plan_match.h"
#include "xai/uncertainty_report.h"

namespace unetx::xai {
namespace {

namespace fs = std::filesystem;
using References = std::map<std::string, fs::path>;

fs::path map_file(const fs::path& out, const io::Case& c, const UncertaintyMethod& m,
                  const std::string& map) {
  return out / (c.id + "_" + m.name + "_" + map + ".nii.gz");
}

// Per case and method: the sums the cohort's pooled AUROC and ECE are merged from.
fs::path pooled_file(const fs::path& out, const io::Case& c, const UncertaintyMethod& m) {
  return out / (c.id + "_" + m.name + "_pooled.json");
}

References read_references(const fs::path& reference) {
  References refs;
  if (reference.empty()) return refs;
  for (const auto& c : io::read_cohort(reference).cases) {
    if (c.label) {
      refs[c.id] = *c.label;
    } else if (!c.images.empty()) {
      refs[c.id] = c.images.front();
    }
  }
  return refs;
}

// (Z, Y, X) reference labels on the image's grid, or undefined when the case has none.
at::Tensor read_reference(const io::Case& c, const io::Volume& image, const References& refs,
                          bool from_cohort) {
  std::optional<fs::path> file;
  if (from_cohort) {
    auto it = refs.find(c.id);
    if (it != refs.end()) file = it->second;
  } else {
    file = c.label;
  }
  if (!file) return at::Tensor();
  const io::Volume ref = io::read_label(*file, image);
  if (ref.data.sizes().slice(1) != image.data.sizes().slice(1)) {
    std::ostringstream msg;
    msg << "reference grid " << ref.data.sizes().slice(1) << " differs from the image grid "
        << image.data.sizes().slice(1);
    throw Error(file->string(), msg.str());
  }
  return ref.data[0];
}

std::vector<std::string> manifest_columns(const std::vector<const UncertaintyMethod*>& methods) {
  // The first two keep `unetx evaluate --uncertainty` (which reads mean_entropy_foreground)
  // working: the first method's scored map over the case and inside the predicted structure.
  std::vector<std::string> cols = {"mean_entropy", "mean_entropy_foreground"};
  for (const auto* m : methods) {
    for (const auto& map : m->maps) cols.push_back(m->name + "_" + map);
    for (const auto& s : score_names()) cols.push_back(m->name + "_" + s);
    cols.push_back(m->name + "_pooled");
  }
  return cols;
}

// One method on one prepared case: writes its maps, returns its manifest cells.
std::map<std::string, std::string> run_method(const UncertaintyMethod& m, const io::Case& c,
                                              pipeline::InferenceEnsemble& e,
                                              const pipeline::PreparedCase& prepared,
                                              const at::Tensor& reference,
                                              const UncertaintyOptions& options,
                                              const UncertaintySettings& s) {
  MethodResult r = m.run(e, prepared.image, options);
  CaseScoreInputs in;
  in.probs = pipeline::restore_to_original(r.mean_probs, prepared);
  in.labels = pipeline::labels_volume(in.probs, prepared.original_geometry).data[0];
  std::map<std::string, std::string> row;
  for (const auto& [name, map] : r.maps) {
    io::Volume v = pipeline::map_to_original(map, prepared);
    if (!in.uncertainty.defined()) in.uncertainty = v.data[0];
    const fs::path file = map_file(s.output, c, m, name);
    io::write_image(v, file);
    row[m.name + "_" + name] = pipeline::relative_to(file, s.output);
  }
  in.reference = reference;
  in.foreground_voxels = std::move(r.foreground_voxels);
  in.ece_bins = s.ece_bins;
  const CaseScores scores = score_case(in);
  const fs::path pooled = pooled_file(s.output, c, m);
  io::write_json(pooled, pooled_to_json(scores.error_histogram, scores.calibration));
  row[m.name + "_pooled"] = pipeline::relative_to(pooled, s.output);
  for (auto& kv : score_columns(m.name, scores)) row.insert(kv);
  return row;
}

}  // namespace

pipeline::RunSummary run_uncertainty(const UncertaintySettings& s, dist::Communicator& comm) {
  const auto methods = parse_methods(s.methods);
  if (s.ece_bins < 1) throw Error("--ece-bins", "must be at least 1");
  std::vector<fs::path> files = {s.model};
  files.insert(files.end(), s.ensemble.begin(), s.ensemble.end());
  pipeline::InferenceEnsemble e = pipeline::load_inference_ensemble(files, s.device, s.model_load);
  UncertaintyOptions options;
  options.samples = s.samples;
  options.rotation_degrees = s.rotation_degrees;
  options.inference = s.inference;
  for (const auto* m : methods) m->check(e, options);
  const io::Cohort cohort = io::read_cohort(s.input);
  const References refs = read_references(s.reference);

  pipeline::CohortTask task;
  task.what = "uncertainty";
  task.output = s.output;
  task.columns = manifest_columns(methods);
  task.outputs = [&](const io::Case& c) {
    std::vector<fs::path> out;
    for (const auto* m : methods) {
      for (const auto& map : m->maps) out.push_back(map_file(s.output, c, *m, map));
      out.push_back(pooled_file(s.output, c, *m));
    }
    return out;
  };
  task.process = [&](const io::Case& c) -> std::map<std::string, std::string> {
    io::Volume image = io::read_channels(c.images);
    pipeline::check_case_fits_plan(c, image, e.plan());
    const at::Tensor reference = read_reference(c, image, refs, !s.reference.empty());
    const pipeline::PreparedCase prepared =
        pipeline::prepare_case(c.id, image, nullptr, e.plan());
    std::map<std::string, std::string> row;
    for (const auto* m : methods) row.merge(run_method(*m, c, e, prepared, reference, options, s));
    const std::string first = methods.front()->name;
    row["mean_entropy"] = row.at(first + "_mean");
    row["mean_entropy_foreground"] = row.at(first + "_inside");
    return row;
  };
  pipeline::RunSummary summary = pipeline::run_cohort(cohort, task, comm);
  if (comm.is_root()) {
    std::vector<std::pair<std::string, std::string>> maps;
    for (const auto* m : methods) maps.emplace_back(m->name, m->maps.front());
    write_uncertainty_tables(s.output, io::read_manifest(s.output / "manifest.csv"), maps,
                             s.ece_bins);
  }
  return summary;
}

}  // namespace unetx::xai
