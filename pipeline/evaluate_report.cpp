#include "pipeline/evaluate_report.h"

#include <spdlog/spdlog.h>

#include "io/error.h"
#include "io/image_io.h"
#include "pipeline/report.h"

namespace unetx::pipeline {
namespace {

namespace fs = std::filesystem;

// case id -> mean_entropy_foreground from an `unetx uncertainty` output folder.
std::map<std::string, double> read_uncertainty(const fs::path& folder) {
  const fs::path manifest = folder / "manifest.csv";
  std::map<std::string, double> out;
  for (const auto& row : io::read_manifest(manifest)) {
    auto it = row.columns.find("mean_entropy_foreground");
    if (it == row.columns.end())
      throw Error(manifest.string(), "no mean_entropy_foreground column: not an uncertainty run");
    if (row.status == "ok" && !it->second.empty()) out[row.case_id] = std::stod(it->second);
  }
  return out;
}

// The case's attribution map as (Z, Y, X), or an undefined tensor (with a warning) when there
// is none on the reference's grid.
at::Tensor attribution_of(const fs::path& folder, const std::string& id, const io::Volume& ref) {
  if (folder.empty()) return {};
  const fs::path file = find_attribution(folder, id);
  if (file.empty()) {
    spdlog::warn("report: no attribution map for case {} in {}", id, folder.string());
    return {};
  }
  try {
    const io::Volume map = io::read_image(file);
    if (io::same_grid(map, ref) && map.data.size(0) == 1) return map.data[0];
    spdlog::warn("report: attribution map {} is not one channel on the reference grid; left out",
                 file.string());
  } catch (const std::exception& e) {
    spdlog::warn("report: attribution map of case {} left out: {}", id, e.what());
  }
  return {};
}

std::vector<CaseThumbnail> thumbnails(const io::Cohort& cohort,
                                      const std::map<std::string, fs::path>& predictions,
                                      const std::vector<CaseMetricRow>& rows,
                                      const fs::path& attributions) {
  std::map<std::string, const io::Case*> cases;
  for (const auto& c : cohort.cases) cases[c.id] = &c;
  std::vector<CaseThumbnail> out;
  const auto [best, worst] = best_and_worst_cases(rows);
  auto add = [&](const std::string& id, CaseThumbnail::Kind kind) {
    try {
      const io::Case& c = *cases.at(id);
      const io::Volume image = io::read_image(c.images.front());
      const io::Volume ref = io::read_image(*c.label);
      const io::Volume pred = io::read_image(predictions.at(id));
      if (!io::same_grid(image, ref) || !io::same_grid(pred, ref)) {
        spdlog::warn(
            "report: no thumbnail for case {}: image, reference and prediction grids "
            "differ",
            id);
        return;
      }
      out.push_back(thumbnail_from_volumes(id, kind, image.data, ref.data[0], pred.data[0],
                                           attribution_of(attributions, id, ref)));
    } catch (const std::exception& e) {
      spdlog::warn("report: no thumbnail for case {}: {}", id, e.what());
    }
  };
  for (const auto& id : best) add(id, CaseThumbnail::Kind::kBest);
  for (const auto& id : worst) add(id, CaseThumbnail::Kind::kWorst);
  return out;
}

}  // namespace

fs::path find_attribution(const fs::path& folder, const std::string& case_id) {
  const fs::path manifest = folder / "manifest.csv";
  if (fs::exists(manifest)) {
    for (const auto& row : io::read_manifest(manifest)) {
      if (row.case_id != case_id) continue;
      const auto map = row.columns.find("map");
      if (row.status != "ok" || map == row.columns.end() || map->second.empty()) return {};
      return folder / map->second;
    }
    return {};
  }
  for (const std::string suffix : {"_gradcam.nii.gz", ".nii.gz", ".nii"})
    if (fs::exists(folder / (case_id + suffix))) return folder / (case_id + suffix);
  return {};
}

void write_evaluation_report(const EvaluateSettings& s, const io::Cohort& cohort,
                             const std::map<std::string, fs::path>& predictions,
                             const std::vector<CaseMetricRow>& rows,
                             const MetricSummaries& summaries, const CrossValidation& cv,
                             const ReportExtras& extras) {
  ReportInputs in;
  in.subtitle = s.predictions.lexically_normal().string() + " against " +
                s.references.lexically_normal().string();
  in.rows = rows;
  in.summaries = summaries;
  for (const auto& log : s.training_logs) {
    const std::string name = log.parent_path().filename().string();
    in.training_logs.push_back({name.empty() ? log.filename().string() : name, log});
  }
  if (!s.uncertainty.empty()) {
    in.uncertainty = read_uncertainty(s.uncertainty);
    in.uncertainty_name = "mean foreground entropy";
  }
  in.thumbnails = thumbnails(cohort, predictions, rows, s.attributions);
  in.cross_validation = cv;
  in.comparison = extras.comparison;
  in.comparison_a = extras.comparison_a;
  in.comparison_b = extras.comparison_b;
  write_report(in, s.output / "report.html");
}

}  // namespace unetx::pipeline
