#include "xai/uncertainty_report.h"

#include <spdlog/fmt/fmt.h>

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>

#include "io/csv.h"
#include "io/json_file.h"
#include "xai/calibration.h"

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

nlohmann::json method_summary(const std::vector<io::ManifestRow>& rows, const std::string& method,
                              const std::string& map) {
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
  return {{"map", map},
          {"cases", cases},
          {"cases_with_reference", with_reference},
          {"auroc_mean", number(mean_finite(auroc_v))},
          {"ece_mean", number(mean_finite(ece_v))},
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
      {"auroc", "voxel uncertainty detecting voxels where prediction != reference, per case, "
                "mean over cases with both kinds of voxels"},
      {"case_uncertainty", "mean uncertainty inside the predicted structure"},
      {"methods", nlohmann::json::object()}};
  for (const auto& [method, map] : maps) summary["methods"][method] = method_summary(rows, method, map);
  io::write_json(output / "uncertainty_summary.json", summary);
}

}  // namespace unetx::xai
