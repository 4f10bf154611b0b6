#include "pipeline/cross_validation.h"

#include <algorithm>
#include <random>
#include <set>

#include "io/error.h"
#include "io/json_file.h"
#include "io/manifest.h"

namespace unetx::pipeline {

namespace fs = std::filesystem;

Split Folds::split(int k) const {
  if (k < 0 || k >= count())
    throw Error("", "fold " + std::to_string(k) + " does not exist: there are " +
                        std::to_string(count()) + " folds (0.." + std::to_string(count() - 1) + ")");
  Split s;
  s.val = val[static_cast<size_t>(k)];
  for (int f = 0; f < count(); ++f)
    if (f != k) s.train.insert(s.train.end(), val[f].begin(), val[f].end());
  std::sort(s.train.begin(), s.train.end());
  return s;
}

Folds make_folds(const std::vector<std::string>& ids, int k, uint64_t seed,
                 const std::map<std::string, std::string>& strata,
                 const std::string& stratify_column) {
  if (k < 2) throw Error("--folds", "cross-validation needs at least 2 folds, got " + std::to_string(k));
  if (static_cast<size_t>(k) > ids.size())
    throw Error("--folds", std::to_string(k) + " folds need at least " + std::to_string(k) +
                               " cases, the cohort has " + std::to_string(ids.size()));
  // Groups in a fixed order (largest first, ties by name) so the deal depends on the seed only.
  std::map<std::string, std::vector<std::string>> groups;
  for (const auto& id : ids) {
    std::string group;
    if (!strata.empty()) {
      auto it = strata.find(id);
      if (it == strata.end())
        throw Error(id, "has no value in the stratification column '" + stratify_column + "'");
      group = it->second;
    }
    groups[group].push_back(id);
  }
  std::vector<std::pair<std::string, std::vector<std::string>>> ordered(groups.begin(), groups.end());
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto& a, const auto& b) { return a.second.size() > b.second.size(); });

  std::mt19937_64 rng(seed);
  Folds folds;
  folds.seed = seed;
  folds.stratify = stratify_column;
  folds.val.resize(static_cast<size_t>(k));
  size_t next = 0;  // the deal continues across groups: fold sizes stay within one of each other
  for (auto& [group, members] : ordered) {
    std::sort(members.begin(), members.end());
    std::shuffle(members.begin(), members.end(), rng);
    for (const auto& id : members) folds.val[next++ % static_cast<size_t>(k)].push_back(id);
  }
  for (auto& v : folds.val) std::sort(v.begin(), v.end());
  return folds;
}

Folds load_or_make_folds(const fs::path& file, const std::vector<std::string>& ids, int k,
                         uint64_t seed, const std::map<std::string, std::string>& strata,
                         const std::string& stratify_column) {
  if (fs::exists(file)) {
    const auto j = io::read_json(file);
    Folds folds;
    try {
      folds.seed = j.at("seed").get<uint64_t>();
      folds.stratify = j.value("stratify", "");
      for (const auto& f : j.at("folds")) folds.val.push_back(f.at("val").get<std::vector<std::string>>());
    } catch (const nlohmann::json::exception& e) {
      throw Error(file.string(), std::string("not a unetx splits file: ") + e.what());
    }
    std::vector<std::string> in_file;
    for (const auto& v : folds.val) in_file.insert(in_file.end(), v.begin(), v.end());
    std::sort(in_file.begin(), in_file.end());
    std::vector<std::string> wanted = ids;
    std::sort(wanted.begin(), wanted.end());
    if (folds.count() != k)
      throw Error(file.string(), "holds " + std::to_string(folds.count()) + " folds, --folds asks for " +
                                     std::to_string(k) + " (delete it to draw new splits)");
    if (in_file != wanted)
      throw Error(file.string(), "splits a different set of cases than the preprocessed cohort "
                                 "(delete it to draw new splits)");
    return folds;
  }
  Folds folds = make_folds(ids, k, seed, strata, stratify_column);
  nlohmann::json list = nlohmann::json::array();
  for (int f = 0; f < folds.count(); ++f) {
    const Split s = folds.split(f);
    list.push_back({{"fold", f}, {"train", s.train}, {"val", s.val}});
  }
  io::write_json(file, {{"seed", seed}, {"stratify", stratify_column}, {"folds", list}});
  return folds;
}

std::map<std::string, std::string> read_strata(const fs::path& manifest, const std::string& column) {
  const io::Cohort cohort = io::read_cohort(manifest);
  std::map<std::string, std::string> strata;
  for (const auto& c : cohort.cases) {
    auto it = c.extra.find(column);
    if (it == c.extra.end())
      throw Error(manifest.string(), "has no column '" + column + "' to stratify on");
    strata[c.id] = it->second;
  }
  return strata;
}

}  // namespace unetx::pipeline
