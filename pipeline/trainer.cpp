#include "pipeline/trainer.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <map>
#include <numeric>
#include <optional>
#include <set>

#include "distributed/gradient_buckets.h"
#include "io/atomic_file.h"
#include "io/error.h"
#include "io/manifest.h"
#include "models/checkpoint.h"
#include "models/registry.h"
#include "pipeline/class_argmax.h"
#include "pipeline/inference.h"
#include "pipeline/losses.h"
#include "pipeline/metrics.h"
#include "pipeline/optimization.h"
#include "pipeline/patch_sampler.h"
#include "pipeline/plan.h"
#include "pipeline/batch_loader.h"
#include "pipeline/data_parallel.h"
#include "pipeline/cross_validation.h"
#include "pipeline/stop_request.h"
#include "pipeline/training_data.h"
#include "pipeline/training_step.h"

namespace unetx::pipeline {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// The plan's network, or another one named by --model; --model-option values override.
json model_config(const Plan& plan, const TrainSettings& s) {
  json config = plan.network;
  const std::string name = s.model.empty() ? config.value("name", "unet") : s.model;
  config.update(models::model_config(name, plan.in_channels, plan.num_classes(), plan.spatial_dims,
                                     s.model_options));
  return config;
}

struct Validation {
  double dice = 0.0;  // mean over foreground classes
  double loss = 0.0;  // the training loss on the whole case's probabilities
};

Validation validate_case(models::SegmentationModel& model, const PreparedCase& c, const Plan& plan,
                         const TrainSettings& s) {
  InferenceOptions options;
  options.bf16 = s.bf16;
  at::Tensor probs = predict_probabilities(model, c.image, plan, options);
  at::Tensor pred = class_argmax(probs, 0);
  const std::vector<double> dice = dice_per_class(pred, c.label, plan.num_classes());
  Validation v;
  v.dice = dice.empty() ? 0.0 : std::accumulate(dice.begin(), dice.end(), 0.0) / dice.size();
  // log p are logits whose softmax is p again. Slices form the batch: batch Dice and mean
  // cross-entropy over (Z, Y, X) equal their volume values, and this serves 2-D plans too.
  const at::Tensor log_probs = probs.clamp_min(1e-8).log().permute({1, 0, 2, 3});
  v.loss = training_loss(s.loss, log_probs, c.label[0].to(at::kLong)).item<double>();
  return v;
}

// Rank r validates cases r, r + R, r + 2R, ...; the sums are reduced and then broadcast from
// rank 0, so every rank holds bit-identical means (MPI does not promise that of a sum alone).
Validation validate_shared(models::SegmentationModel& model,
                           const std::vector<const PreparedCase*>& cases, const Plan& plan,
                           const TrainSettings& s, dist::Communicator& comm) {
  at::Tensor sums = at::zeros({2}, at::kDouble);
  for (size_t i = static_cast<size_t>(comm.rank()); i < cases.size();
       i += static_cast<size_t>(comm.size())) {
    const Validation v = validate_case(model, *cases[i], plan, s);
    sums[0] += v.dice;
    sums[1] += v.loss;
  }
  if (comm.size() > 1) {
    comm.allreduce_sum(sums);
    comm.broadcast(sums, 0);
  }
  const double n = static_cast<double>(std::max<size_t>(cases.size(), 1));
  return {sums[0].item<double>() / n, sums[1].item<double>() / n};
}

// Test hook for the failure tests (tests/mpi): the rank named by UNETX_TEST_FAIL_RANK throws at
// its second step, as a rank hitting a real error mid-run would.
int test_fail_rank() {
  const char* v = std::getenv("UNETX_TEST_FAIL_RANK");
  return v ? std::atoi(v) : -1;
}

std::vector<json> read_log(const fs::path& file, int before_epoch) {
  std::vector<json> lines;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_discarded() && j.value("epoch", -1) < before_epoch) lines.push_back(j);
  }
  return lines;
}

void write_log(const fs::path& file, const std::vector<json>& lines) {
  std::string text;
  for (const auto& j : lines) text += j.dump() + "\n";
  io::write_text_atomic(file, text);
}

std::vector<const PreparedCase*> pick(const std::vector<PreparedCase>& cases,
                                      const std::vector<std::string>& ids) {
  std::set<std::string> wanted(ids.begin(), ids.end());
  std::vector<const PreparedCase*> out;
  for (const auto& c : cases)
    if (wanted.count(c.id)) out.push_back(&c);
  return out;
}

// Where a run stands: the epoch it is in and the first step of that epoch still to take. A run
// stopped on a signal mid-epoch records its step and the loss summed so far.
struct Position {
  int epoch = 0;
  int iteration = 0;
  double loss_sum = 0.0;
};

void write_split_manifest(const fs::path& output, const Split& split) {
  std::vector<io::ManifestRow> rows;
  for (const auto& id : split.train) rows.push_back({id, {{"split", "train"}}, "ok"});
  for (const auto& id : split.val) rows.push_back({id, {{"split", "val"}}, "ok"});
  io::write_manifest(output, {"split"}, rows);
}

}  // namespace

void check_names(const TrainSettings& s) {
  LrSchedule(s.schedule, s.learning_rate, s.epochs);
  auto probe = torch::zeros({1}, torch::requires_grad());
  make_optimizer({s.optimizer, s.learning_rate, s.weight_decay}, {probe});
  const auto& losses = loss_names();
  if (std::find(losses.begin(), losses.end(), s.loss) == losses.end()) {
    throw std::invalid_argument("unknown loss '" + s.loss + "' (dice_ce, bce_iou_dice)");
  }
  if (s.early_stop_on != "loss" && s.early_stop_on != "dice") {
    throw std::invalid_argument("--early-stop-on " + s.early_stop_on + ": expected loss or dice");
  }
  if (s.early_stop < 0) throw std::invalid_argument("--early-stop must be >= 0");
  if (s.folds < 0 || s.folds == 1)
    throw std::invalid_argument("--folds " + std::to_string(s.folds) + ": expected 0 (hold-out) or >= 2");
  if (s.folds > 0 && (s.fold < kAllFolds || s.fold >= s.folds))
    throw std::invalid_argument("--fold " + std::to_string(s.fold) + ": expected 0.." +
                                std::to_string(s.folds - 1) + " or all");
  if (s.folds == 0 && !s.stratify.empty())
    throw std::invalid_argument("--stratify needs --folds");
  if (s.loader_workers < 0) throw std::invalid_argument("--loader-workers must be >= 0");
  if (!s.model.empty()) {
    const auto names = models::model_names();
    if (std::find(names.begin(), names.end(), s.model) == names.end()) {
      throw std::invalid_argument("unknown model '" + s.model + "' (see `unetx models`)");
    }
  }
}

namespace {

// One training run over one split: <out>/checkpoint_{last,best}.pt, train_log.jsonl, manifest.
TrainResult train_split(const TrainSettings& s, const fs::path& out, const Split& split,
                        const Plan& plan, const std::vector<PreparedCase>& cases,
                        dist::Communicator& comm) {
  const auto train_cases = pick(cases, split.train);
  const auto val_cases = pick(cases, split.val);
  fs::create_directories(out);
  if (comm.is_root()) write_split_manifest(out, split);
  spdlog::info("{} training and {} validation cases; {} epochs x {} iterations", train_cases.size(),
               val_cases.size(), s.epochs, s.iterations);

  const torch::Device device(s.device);
  const fs::path last_file = out / "checkpoint_last.pt";
  const fs::path best_file = out / "checkpoint_best.pt";
  models::ModelPtr model = models::make_model(model_config(plan, s));
  TrainResult result;
  Position at;
  LrSchedule schedule(s.schedule, s.learning_rate, s.epochs);
  EarlyStopping early(s.early_stop, s.early_stop_on == "dice");
  const bool resuming = s.resume && fs::exists(last_file);
  if (resuming) {
    auto loaded = models::load_checkpoint(last_file, device);
    model = loaded.model;
    const json& state = loaded.meta.state;
    at.epoch = state.value("epoch", -1) + 1;
    if (state.contains("in_progress")) {
      at.epoch = state["in_progress"].value("epoch", at.epoch);
      at.iteration = state["in_progress"].value("iteration", 0);
      at.loss_sum = state["in_progress"].value("loss_sum", 0.0);
    }
    result.best_val_dice = state.value("best_val_dice", 0.0);
    result.best_epoch = state.value("best_epoch", -1);
    result.epochs_run = at.epoch;
    schedule.load(state.value("schedule", json::object()));
    early.load(state.value("early_stopping", json::object()));
    spdlog::info("resuming from {} at epoch {}, step {}", last_file.string(), at.epoch + 1,
                 at.iteration + 1);
  }
  model->to(device);
  const std::unique_ptr<torch::optim::Optimizer> optimizer =
      make_optimizer({s.optimizer, s.learning_rate, s.weight_decay}, model->parameters());
  if (resuming) models::load_optimizer_state(last_file, *optimizer);
  broadcast_parameters(*model, comm);
  dist::GradientBuckets buckets(model->parameters(), comm,
                                std::max<int64_t>(1, static_cast<int64_t>(s.bucket_mb * (1 << 20))));
  CommunicatorBatchStatistics batch_statistics(comm);
  std::optional<models::ScopedBatchNormSync> sync_batch_norm;
  if (s.sync_batch_norm) sync_batch_norm.emplace(batch_statistics);
  const int fail_rank = comm.size() > 1 ? test_fail_rank() : -1;
  std::vector<json> log = read_log(out / "train_log.jsonl", at.epoch);

  BatchLoaderOptions loader_options;
  loader_options.sampler.patch_xyz = plan.patch_size;
  loader_options.sampler.foreground_fraction = s.foreground_fraction;
  loader_options.sampler.augment = s.augment;
  loader_options.sampler.spatial_dims = plan.spatial_dims;
  loader_options.batch_size = s.batch_size > 0 ? s.batch_size : plan.batch_size;
  loader_options.workers = s.loader_workers;

  // The checkpoint's state: where the run is, and everything the schedule and the stopping rule
  // remember. `in_progress` is set only when saved in the middle of an epoch.
  auto save = [&](int finished_epoch, const json& extra, const json& in_progress, bool best) {
    if (!comm.is_root()) return;
    models::CheckpointMeta meta;
    meta.model_config = model->config();
    meta.plan = plan.to_json();
    meta.state = extra;
    meta.state.update({{"epoch", finished_epoch},
                       {"best_val_dice", result.best_val_dice},
                       {"best_epoch", result.best_epoch},
                       {"schedule", schedule.state()},
                       {"early_stopping", early.state()},
                       {"seed", s.seed}});
    if (!in_progress.is_null()) meta.state["in_progress"] = in_progress;
    models::save_checkpoint(last_file, *model, meta, optimizer.get());
    if (best) models::save_checkpoint(best_file, *model, meta, optimizer.get());
    write_log(out / "train_log.jsonl", log);
  };

  for (; at.epoch < s.epochs; ++at.epoch, at.iteration = 0, at.loss_sum = 0.0) {
    auto t0 = std::chrono::steady_clock::now();
    const double lr = schedule.lr(at.epoch);
    set_learning_rate(*optimizer, lr);
    model->train();
    BatchLoader loader(train_cases, loader_options, s.seed, at.epoch, /*shard=*/comm.rank(),
                       at.iteration, s.iterations);
    for (; at.iteration < s.iterations; ++at.iteration) {
      if (any_rank_stopping(comm)) {
        spdlog::warn("stop requested (signal {}): saving epoch {} step {} to {}", stop_signal(),
                     at.epoch + 1, at.iteration + 1, last_file.string());
        save(at.epoch - 1, json::object(),
             {{"epoch", at.epoch}, {"iteration", at.iteration}, {"loss_sum", at.loss_sum}}, false);
        result.stopped_on_signal = true;
        return result;
      }
      if (comm.rank() == fail_rank && at.iteration == 1)
        throw std::runtime_error("UNETX_TEST_FAIL_RANK: rank " + std::to_string(comm.rank()) +
                                 " fails on purpose");
      auto [x, y] = loader.next();
      // Dropout draws from torch's generator: seeded per step like the batch itself.
      torch::manual_seed(batch_seed(~s.seed, at.epoch, at.iteration, comm.rank()));
      at.loss_sum += training_step(*model, *optimizer, s.loss, x.to(device), y.to(device), s.bf16,
                                   [&] { buckets.finish(); });
    }
    model->eval();
    const Validation val = validate_shared(*model, val_cases, plan, s, comm);
    schedule.report(val.loss);
    const bool stop = early.update(s.early_stop_on == "dice" ? val.dice : val.loss);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const bool best = result.best_epoch < 0 || val.dice > result.best_val_dice;
    if (best) {
      result.best_val_dice = val.dice;
      result.best_epoch = at.epoch;
    }
    result.epochs_run = at.epoch + 1;
    const double train_loss = at.loss_sum / s.iterations;
    log.push_back({{"epoch", at.epoch},
                   {"train_loss", train_loss},
                   {"val_loss", val.loss},
                   {"val_dice", val.dice},
                   {"lr", lr},
                   {"seconds", seconds}});
    spdlog::info("epoch {}/{}: lr {:.3g}, train loss {:.4f}, val loss {:.4f}, val Dice {:.4f}{} ({:.1f}s)",
                 at.epoch + 1, s.epochs, lr, train_loss, val.loss, val.dice, best ? " (best)" : "",
                 seconds);
    save(at.epoch, {{"val_dice", val.dice}, {"val_loss", val.loss}}, nullptr, best);
    if (stop) {
      spdlog::info("early stopping: no better validation {} for {} epochs", s.early_stop_on,
                   s.early_stop);
      break;
    }
  }
  return result;
}

}  // namespace

namespace {

// Rank 0 makes (and writes) the split first; the other ranks then read the file it wrote, so
// only rank 0 writes and every rank trains on one split.
template <typename Make>
auto root_first(dist::Communicator& comm, const Make& make) -> decltype(make()) {
  if (comm.size() == 1) return make();
  if (comm.is_root()) {
    auto made = make();
    comm.barrier();
    return made;
  }
  comm.barrier();
  return make();
}

}  // namespace

fs::path fold_directory(const fs::path& output, int fold) {
  return output / ("fold_" + std::to_string(fold));
}

TrainResult train(const TrainSettings& s, dist::Communicator& comm) {
  check_names(s);
  if (s.deterministic) at::globalContext().setDeterministicAlgorithms(true, /*warn_only=*/false);
  const Plan plan = Plan::load(s.input / "plan.json");
  const std::vector<PreparedCase> cases = load_preprocessed(s.input);
  std::vector<std::string> ids;
  for (const auto& c : cases) ids.push_back(c.id);
  fs::create_directories(s.output);
  if (s.folds == 0) {
    const Split split = root_first(comm, [&] {
      return load_or_make_split(s.output / "split.json", ids, s.val_fraction, s.seed);
    });
    return train_split(s, s.output, split, plan, cases, comm);
  }

  std::map<std::string, std::string> strata;
  if (!s.stratify.empty())
    strata = read_strata(s.stratify_manifest.empty() ? s.input / "manifest.csv" : s.stratify_manifest,
                         s.stratify);
  const Folds folds = root_first(comm, [&] {
    return load_or_make_folds(s.output / "splits.json", ids, s.folds, s.seed, strata, s.stratify);
  });
  std::vector<int> to_train;
  if (s.fold == kAllFolds) {
    for (int k = 0; k < folds.count(); ++k) to_train.push_back(k);
  } else {
    folds.split(s.fold);  // throws for a fold that does not exist
    to_train.push_back(s.fold);
  }
  TrainResult result;
  std::vector<double> fold_dice;
  for (int k : to_train) {
    spdlog::info("cross-validation fold {} of {}", k, folds.count());
    result = train_split(s, fold_directory(s.output, k), folds.split(k), plan, cases, comm);
    fold_dice.push_back(result.best_val_dice);
    if (result.stopped_on_signal) break;
  }
  result.fold_best_dice = fold_dice;
  return result;
}

}  // namespace unetx::pipeline
