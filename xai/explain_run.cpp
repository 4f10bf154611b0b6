#include "xai/explain_run.h"

#include <torch/torch.h>

#include <algorithm>
#include <sstream>

#include "io/atomic_file.h"
#include "io/csv.h"
#include "io/error.h"
#include "io/image_io.h"
#include "io/json_file.h"
#include "xai/excitation.h"
#include "xai/grad_cam.h"
#include "xai/occlusion.h"
#include "xai/overlay.h"

namespace unetx::xai {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kFaithfulnessColumns = {"case_id", "method", "infidelity",
                                                       "max_sensitivity", "deletion_auc",
                                                       "insertion_auc"};

void write_overlay(const fs::path& file, const pipeline::CasePrediction& p, const io::Volume& map,
                   int64_t target_class) {
  at::Tensor mask = (p.labels.data[0] == target_class).to(at::kByte);
  const int64_t z = representative_slice(mask);
  // Signed maps are shown by magnitude: the colour scale has no room for a sign.
  const at::Tensor heat = normalize_map(map.data[0][z].abs());
  write_overlay_png(file, p.image.data[0][z].to(at::kFloat), heat, mask[z]);
}

std::string number(double v) {
  std::ostringstream out;
  out.precision(8);
  out << v;
  return out.str();
}

struct Run {
  const ExplainSettings& s;
  pipeline::InferenceModel m;
  ExplainSpec spec;
  std::vector<MapJob> jobs;

  fs::path map_file(const io::Case& c, const MapJob& j) const {
    return s.output / (c.id + "_" + j.name + ".nii.gz");
  }
  fs::path png_file(const io::Case& c, const MapJob& j) const {
    return s.output / (c.id + "_" + j.name + ".png");
  }
  fs::path faithfulness_file(const io::Case& c) const {
    return s.output / (c.id + "_faithfulness.csv");
  }
  fs::path excitation_file(const io::Case& c) const {
    return s.output / (c.id + "_excitations.pt");
  }

  std::vector<fs::path> outputs(const io::Case& c) const {
    std::vector<fs::path> files;
    for (const auto& j : jobs) {
      files.push_back(map_file(c, j));
      files.push_back(png_file(c, j));
    }
    if (s.faithfulness) files.push_back(faithfulness_file(c));
    if (s.excitations) files.push_back(excitation_file(c));
    return files;
  }

  // The channel gates of every window of the case (one extra forward pass per window).
  ExcitationTable case_excitations(const PackedCase& packed) {
    ExcitationTable table;
    const at::Tensor image = packed.packed.narrow(0, 0, packed.channels);
    torch::NoGradGuard no_grad;
    pipeline::per_window(image, m.model->num_classes(), m.plan, s.inference,
                         [&](const at::Tensor& batch) {
                           return collect_excitations(*m.model, batch.to(model_device(*m.model)), table)
                               .to(at::kFloat)
                               .cpu();
                         });
    return table;
  }

  std::map<std::string, std::string> process(const io::Case& c) {
    pipeline::CasePrediction p = pipeline::predict_case(m, c, s.inference);
    const PackedCase packed = pack_case(p, c.id, spec, m.plan);
    std::map<std::string, std::string> row{{"target", s.target},
                                           {"target_class", std::to_string(s.target_class)}};
    io::CsvTable faith{kFaithfulnessColumns, {}};
    for (size_t k = 0; k < jobs.size(); ++k) {
      const MapJob& job = jobs[k];
      // Windows are stitched with the same Gaussian weights as predictions.
      at::Tensor map = pipeline::per_window(packed.packed, 1, m.plan, s.inference,
                                            [&](const at::Tensor& batch) {
                                              return explain_windows(*m.model, job, spec, packed, batch);
                                            });
      if (job.method->unit_scaled) map = normalize_map(map);
      io::Volume original = pipeline::map_to_original(map, p.prepared);
      write_overlay(png_file(c, job), p, original, s.target_class);
      io::write_image(original, map_file(c, job));
      row[job.name] = pipeline::relative_to(map_file(c, job), s.output);
      row[job.name + "_overlay"] = pipeline::relative_to(png_file(c, job), s.output);
      // "map" / "overlay": the first method's, the columns `evaluate --attributions` reads.
      if (k == 0) {
        row["map"] = row[job.name];
        row["overlay"] = row[job.name + "_overlay"];
      }
      if (s.faithfulness) {
        const FaithfulnessScores f =
            case_faithfulness(*m.model, job, spec, packed, p, m.plan, s.inference,
                              s.faithfulness_options, s.seed + k);
        faith.rows.push_back({c.id, job.name, number(f.infidelity), number(f.max_sensitivity),
                              number(f.deletion_auc), number(f.insertion_auc)});
      }
    }
    if (s.faithfulness) io::write_csv(faithfulness_file(c), faith);
    if (s.excitations) save_excitations(case_excitations(packed), excitation_file(c));
    return row;
  }
};

// A case that failed in this run may still have a file from an earlier run: left out.
bool failed(const pipeline::RunSummary& summary, const io::Case& c) {
  return std::find(summary.failed_ids.begin(), summary.failed_ids.end(), c.id) !=
         summary.failed_ids.end();
}

// <output>/faithfulness.csv from the per-case files of the cases that succeeded (in this run or,
// skipped now, in an earlier one), in cohort order.
void write_cohort_faithfulness(const Run& run, const io::Cohort& cohort,
                               const pipeline::RunSummary& summary) {
  io::CsvTable all{kFaithfulnessColumns, {}};
  for (const io::Case& c : cohort.cases) {
    const fs::path file = run.faithfulness_file(c);
    if (!fs::exists(file) || failed(summary, c)) continue;
    const io::CsvTable t = io::read_csv(file);
    all.rows.insert(all.rows.end(), t.rows.begin(), t.rows.end());
  }
  io::write_csv(run.s.output / "faithfulness.csv", all);
}

// <output>/excitations.json from the per-case sums of the cases that succeeded.
void write_cohort_excitations(const Run& run, const io::Cohort& cohort,
                              const pipeline::RunSummary& summary) {
  ExcitationTable all;
  for (const io::Case& c : cohort.cases) {
    const fs::path file = run.excitation_file(c);
    if (!fs::exists(file) || failed(summary, c)) continue;
    for (const auto& [stage, stats] : load_excitations(file)) all[stage].merge(stats);
  }
  io::write_json(run.s.output / "excitations.json", excitation_report(all, 0.95));
}

}  // namespace

pipeline::RunSummary run_explain(const ExplainSettings& s, dist::Communicator& comm) {
  ExplainSpec spec;
  spec.target = parse_target(s.target);
  spec.reduce = parse_reduce(s.reduce);
  spec.target_class = s.target_class;
  spec.baseline = s.baseline;
  Run run{s, pipeline::load_inference_model(s.model, s.device, s.model_load), spec,
          std::vector<MapJob>()};
  if (s.target_class < 1 || s.target_class >= run.m.model->num_classes())
    throw Error("--target-class", std::to_string(s.target_class) +
                                      " is not a foreground class of " + s.model.string());
  run.jobs = expand_methods(s.methods, *run.m.model, s.method);
  if (s.excitations && !has_channel_excitations(*run.m.model)) {
    throw Error("--excitations", "the model has no channel excitation taps (se.i); train one with "
                                 "--model-option se=cse (or scse, fca, srm)");
  }
  for (const auto& j : run.jobs) {
    if (j.method->name == "mhex_cam") mhex_cam_available(*run.m.model, j.options.layer);
  }
  const io::Cohort cohort = io::read_cohort(s.input);

  pipeline::CohortTask task;
  task.what = "explain";
  task.output = s.output;
  task.columns = {"map", "overlay", "target", "target_class"};
  for (const auto& j : run.jobs) {
    task.columns.push_back(j.name);
    task.columns.push_back(j.name + "_overlay");
  }
  task.outputs = [&](const io::Case& c) { return run.outputs(c); };
  task.process = [&](const io::Case& c) { return run.process(c); };
  pipeline::RunSummary summary = pipeline::run_cohort(cohort, task, comm);
  if (s.faithfulness && comm.rank() == 0) write_cohort_faithfulness(run, cohort, summary);
  if (s.excitations && comm.rank() == 0) write_cohort_excitations(run, cohort, summary);
  return summary;
}

}  // namespace unetx::xai
