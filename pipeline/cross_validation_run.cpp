#include "pipeline/cross_validation_run.h"

#include <spdlog/spdlog.h>

#include <map>
#include <system_error>

#include "io/error.h"
#include "io/json_file.h"
#include "io/manifest.h"
#include "pipeline/predict_run.h"
#include "pipeline/trainer.h"

namespace unetx::pipeline {
namespace {

namespace fs = std::filesystem;

// The cohort's rows of `ids` as a manifest in `folder`, with absolute paths (the folder is not
// the cohort's) and the fold each case belongs to.
void write_fold_manifest(const fs::path& folder, const io::Cohort& cohort,
                         const std::map<std::string, int>& fold_of) {
  std::vector<io::ManifestRow> rows;
  size_t channels = 1;
  for (const auto& c : cohort.cases) channels = std::max(channels, c.images.size());
  std::vector<std::string> columns;
  if (channels == 1) {
    columns.push_back("image");
  } else {
    for (size_t i = 0; i < channels; ++i) columns.push_back("image_" + std::to_string(i));
  }
  columns.insert(columns.end(), {"label", "fold"});
  for (const auto& c : cohort.cases) {
    auto it = fold_of.find(c.id);
    if (it == fold_of.end()) continue;
    io::ManifestRow row{c.id, {{"fold", std::to_string(it->second)}}, "ok"};
    for (size_t i = 0; i < c.images.size(); ++i)
      row.columns[channels == 1 ? "image" : "image_" + std::to_string(i)] =
          fs::absolute(c.images[i]).string();
    row.columns["label"] = c.label ? fs::absolute(*c.label).string() : "";
    rows.push_back(row);
  }
  io::write_manifest(folder, columns, rows);
}

// A hard link when the file system allows it (no copy of a large cohort), else a copy.
void link_or_copy(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::remove(to, ec);
  fs::create_hard_link(from, to, ec);
  if (ec) fs::copy_file(from, to, fs::copy_options::overwrite_existing);
}

}  // namespace

CrossValidationPredictions predict_cross_validation(const CrossValidationPredictSettings& s,
                                                    dist::Communicator& comm) {
  const fs::path splits_file = s.training / "splits.json";
  if (!fs::exists(splits_file))
    throw Error(splits_file.string(), "missing: run `unetx train --folds K --fold all` first");
  const auto splits = io::read_json(splits_file);
  const io::Cohort cohort = io::read_cohort(s.cohort);
  std::map<std::string, int> fold_of;
  for (const auto& f : splits.at("folds"))
    for (const auto& id : f.at("val")) fold_of[id.get<std::string>()] = f.at("fold").get<int>();
  std::map<std::string, const io::Case*> by_id;
  for (const auto& c : cohort.cases) by_id[c.id] = &c;
  for (const auto& [id, fold] : fold_of)
    if (!by_id.count(id))
      throw Error(s.cohort.string(), "has no case '" + id + "' that " + splits_file.string() +
                                         " puts in fold " + std::to_string(fold));

  CrossValidationPredictions out;
  out.predictions = s.output / "predictions";
  out.references = s.output / "references" / "manifest.csv";
  if (comm.is_root()) {
    fs::create_directories(out.predictions);
    write_fold_manifest(out.references.parent_path(), cohort, fold_of);
  }
  // Every fold's model is checked before any fold predicts: a missing one fails the run at once.
  const int folds = static_cast<int>(splits.at("folds").size());
  for (int k = 0; k < folds; ++k) {
    const fs::path model = fold_directory(s.training, k) / s.checkpoint;
    if (!fs::exists(model))
      throw Error(model.string(), "missing: train fold " + std::to_string(k) + " first");
  }
  for (int k = 0; k < folds; ++k) {
    std::map<std::string, int> members;
    for (const auto& [id, fold] : fold_of)
      if (fold == k) members[id] = k;
    const fs::path fold_out = s.output / ("fold_" + std::to_string(k));
    if (comm.is_root()) write_fold_manifest(fold_out / "cases", cohort, members);
    comm.barrier();
    PredictSettings predict;
    predict.input = fold_out / "cases" / "manifest.csv";
    predict.output = fold_out;
    predict.model = fold_directory(s.training, k) / s.checkpoint;
    predict.inference = s.inference;
    predict.device = s.device;
    spdlog::info("cross-validation fold {}: predicting {} held-out case(s) with {}", k,
                 members.size(), predict.model.string());
    const RunSummary summary = run_predict(predict, comm);
    out.summary.ok += summary.ok;
    out.summary.skipped += summary.skipped;
    out.summary.failed += summary.failed;
    out.summary.failed_ids.insert(out.summary.failed_ids.end(), summary.failed_ids.begin(),
                                  summary.failed_ids.end());
    if (comm.is_root())
      for (const auto& [id, fold] : members)
        if (fs::exists(fold_out / (id + ".nii.gz")))
          link_or_copy(fold_out / (id + ".nii.gz"), out.predictions / (id + ".nii.gz"));
  }
  comm.barrier();
  return out;
}

}  // namespace unetx::pipeline
