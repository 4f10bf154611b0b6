#include "pipeline/report_training_log.h"

#include <algorithm>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "io/error.h"

namespace unetx::pipeline {
namespace {

double number(const nlohmann::json& j, const char* key) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>()
                                          : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace

std::vector<EpochRecord> read_training_log(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw Error(file.string(), "cannot open training log");
  std::vector<EpochRecord> records;
  for (std::string line; std::getline(in, line);) {
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object() || !j.contains("epoch") || !j["epoch"].is_number())
      continue;
    records.push_back({j["epoch"].get<double>(), number(j, "train_loss"), number(j, "val_dice")});
  }
  std::stable_sort(records.begin(), records.end(),
                   [](const EpochRecord& a, const EpochRecord& b) { return a.epoch < b.epoch; });
  return records;
}

}  // namespace unetx::pipeline
