#include "xai/uncertainty_report.h"

#include <spdlog/fmt/fmt.h>

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "io/csv.h"
#include "io/error.h"
#include "io/json_file.h"
#include "xai/calibration.h"
#include "xai/calibration_pooled.h"

namespace unetx::xai {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string cell(double v) { return std::isnan(v) ? "nan" : fmt::format("{:.6g}", v); }

double parse(const std::map<std::string, std::string>& columns, const std::string& key) {
  auto it = columns.find(key);
  if (it == columns.end() || it->second.empty()) return kNaN;
  try {
    return std::stod(it->second);
  } catch (const std::exception&) {
    return kNaN;  // "nan" and hand-edited cells alike
  }
}

bool ok(const io::ManifestRow& row) { return row.status.rfind("ok", 0) == 0; }

// NaN becomes JSON null, which every reader understands.
nlohmann::json number(double v) { return std::isnan(v) ? nlohmann::json() : nlohmann::json(v); }

double mean_finite(const std::vector<double>& v) {
  double sum = 0;
  int n = 0;
  for (double x : v) {
    if (std::isnan(x)) continue;
    sum += x;
    ++n;
  }
  return n ? sum / n : kNaN;
}

// Merges the pooled sums of the ok rows that have them; returns how many cases they came from.
int pool_cases(const std::filesystem::path& output, const std::vector<io::ManifestRow>& rows,
               const std::string& method, int ece_bins, RankHistogram& h, CalibrationSums& c) {
  int pooled = 0;
  c = CalibrationSums(ece_bins);
  for (const auto& row : rows) {
    auto it = row.columns.find(method + "_pooled");
    if (!ok(row) || it == row.columns.end() || it->second.empty()) continue;
    const std::filesystem::path file = output / it->second;
    RankHistogram case_h;
    CalibrationSums case_c;
    pooled_from_json(io::read_json(file), file.string(), case_h, case_c);
    if (case_c.bins() != ece_bins) {
      throw Error(file.string(), "has " + std::to_string(case_c.bins()) +
                                     " ECE bins, this run uses --ece-bins " +
                                     std::to_string(ece_bins) + " (remove the output to rerun)");
    }
    h.merge(case_h);
    c.merge(case_c);
    ++pooled;
  }
  return pooled;
}

nlohmann::json method_summary(const std::filesystem::path& output,
                              const std::vector<io::ManifestRow>& rows, const std::string& method,
                              const std::string& map, int ece_bins) {
  std::vector<double> inside, dice, auroc_v, ece_v;
  int cases = 0, with_reference = 0;
  for (const auto& row : rows) {
    if (!ok(row)) continue;
    ++cases;
    const double d = parse(row.columns, method + "_dice");
    if (std::isnan(d)) continue;
    ++with_reference;
    inside.push_back(parse(row.columns, method + "_inside"));
    dice.push_back(d);
    auroc_v.push_back(parse(row.columns, method + "_auroc"));
    ece_v.push_back(parse(row.columns, method + "_ece"));
  }
  RankHistogram h;
  CalibrationSums c;
  const int pooled = pool_cases(output, rows, method, ece_bins, h, c);
  int64_t voxels = 0, errors = 0;
  for (int b = 0; b < c.bins(); ++b) voxels += c.count[b];
  for (int64_t n : h.positive) errors += n;
  return {{"map", map},
          {"cases", cases},
          {"cases_with_reference", with_reference},
          {"auroc_case_mean", number(mean_finite(auroc_v))},
          {"ece_case_mean", number(mean_finite(ece_v))},
          {"pooled_cases", pooled},
          {"pooled_voxels", voxels},
          {"pooled_error_voxels", errors},
          {"auroc_pooled", number(h.auroc())},
          {"ece_pooled", number(c.ece())},
          {"pearson_uncertainty_dice", number(pearson(inside, dice))},
          {"spearman_uncertainty_dice", number(spearman(inside, dice))}};
}

}  // namespace

const std::vector<std::string>& score_names() {
  static const std::vector<std::string> names = {"mean", "inside", "boundary", "volume_cv",
                                                 "dice", "auroc",  "ece",      "error_voxels"};
  return names;
}

std::map<std::string, std::string> score_columns(const std::string& method, const CaseScores& s) {
  const double errors = s.error_voxels < 0 ? kNaN : static_cast<double>(s.error_voxels);
  const std::vector<double> values = {s.mean, s.inside, s.boundary, s.volume_cv,
                                      s.dice, s.auroc,  s.ece,      errors};
  std::map<std::string, std::string> out;
  for (size_t i = 0; i < values.size(); ++i) out[method + "_" + score_names()[i]] = cell(values[i]);
  return out;
}

void write_uncertainty_tables(const std::filesystem::path& output,
                              const std::vector<io::ManifestRow>& rows,
                              const std::vector<std::pair<std::string, std::string>>& maps,
                              int ece_bins) {
  io::CsvTable table;
  table.header = {"case_id", "method", "map"};
  for (const auto& n : score_names()) table.header.push_back(n);
  for (const auto& row : rows) {
    if (!ok(row)) continue;
    for (const auto& [method, map] : maps) {
      std::vector<std::string> r = {row.case_id, method, map};
      for (const auto& n : score_names()) {
        auto it = row.columns.find(method + "_" + n);
        r.push_back(it == row.columns.end() ? "nan" : it->second);
      }
      table.rows.push_back(std::move(r));
    }
  }
  io::write_csv(output / "uncertainty.csv", table);

  nlohmann::json summary = {
      {"ece_bins", ece_bins},
      {"ece_confidence", "probability of the predicted class, equal-width bins over [0, 1]"},
      {"auroc", "voxel uncertainty detecting voxels where prediction != reference"},
      {"auroc_case_mean", "exact AUROC of each case, mean over the cases with both kinds of voxels"},
      {"ece_case_mean", "ECE of each case, mean over the cases with a reference"},
      {"auroc_pooled",
       "one AUROC over every voxel of the cases with a reference, from histograms of " +
           std::to_string(RankHistogram::kBins) +
           " bins of u / (1 + u) (u: the voxel uncertainty; ties within a bin count 1/2)"},
      {"ece_pooled", "one ECE over every voxel of the cases with a reference"},
      {"case_uncertainty", "mean uncertainty inside the predicted structure"},
      {"methods", nlohmann::json::object()}};
  for (const auto& [method, map] : maps)
    summary["methods"][method] = method_summary(output, rows, method, map, ece_bins);
  io::write_json(output / "uncertainty_summary.json", summary);
}

}  // namespace unetx::xai
