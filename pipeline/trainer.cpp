#include "pipeline/trainer.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <set>

#include "io/atomic_file.h"
#include "io/error.h"
#include "io/manifest.h"
#include "models/checkpoint.h"
#include "models/registry.h"
#include "pipeline/inference.h"
#include "pipeline/losses.h"
#include "pipeline/metrics.h"
#include "pipeline/optimization.h"
#include "pipeline/patch_sampler.h"
#include "pipeline/plan.h"
#include "pipeline/training_data.h"

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

// Loss over every output of forward_deep_supervision: weights 1, 1/2, 1/4, ... summing to 1 (a
// model without auxiliary heads has one output, weight 1).
torch::Tensor supervised_loss(const std::string& loss, const std::vector<torch::Tensor>& outputs,
                              const torch::Tensor& target) {
  double norm = 0.0;
  for (size_t i = 0; i < outputs.size(); ++i) norm += std::ldexp(1.0, -static_cast<int>(i));
  torch::Tensor total;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const double w = std::ldexp(1.0, -static_cast<int>(i)) / norm;
    torch::Tensor term = w * training_loss(loss, outputs[i].to(torch::kFloat32), target);
    total = total.defined() ? total + term : term;
  }
  return total;
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
  at::Tensor pred = probs.argmax(0, /*keepdim=*/true).to(at::kByte);
  const std::vector<double> dice = dice_per_class(pred, c.label, plan.num_classes());
  Validation v;
  v.dice = dice.empty() ? 0.0 : std::accumulate(dice.begin(), dice.end(), 0.0) / dice.size();
  // log p are logits whose softmax is p again. Slices form the batch: batch Dice and mean
  // cross-entropy over (Z, Y, X) equal their volume values, and this serves 2-D plans too.
  const at::Tensor log_probs = probs.clamp_min(1e-8).log().permute({1, 0, 2, 3});
  v.loss = training_loss(s.loss, log_probs, c.label[0].to(at::kLong)).item<double>();
  return v;
}

// Averages gradients over ranks (a plain per-parameter allreduce; fused buckets come later).
void average_gradients(models::SegmentationModel& model, dist::Communicator& comm) {
  if (comm.size() == 1) return;
  for (auto& p : model.parameters()) {
    if (!p.grad().defined()) continue;
    at::Tensor g = p.grad().contiguous();
    comm.allreduce_sum(g);
    p.mutable_grad() = g.div_(comm.size());
  }
}

void broadcast_parameters(models::SegmentationModel& model, dist::Communicator& comm) {
  if (comm.size() == 1) return;
  torch::NoGradGuard no_grad;
  for (auto& p : model.parameters()) {
    at::Tensor t = p.detach().contiguous();
    comm.broadcast(t, 0);
    p.copy_(t);
  }
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
  if (!s.model.empty()) {
    const auto names = models::model_names();
    if (std::find(names.begin(), names.end(), s.model) == names.end()) {
      throw std::invalid_argument("unknown model '" + s.model + "' (see `unetx models`)");
    }
  }
}

TrainResult train(const TrainSettings& s, dist::Communicator& comm) {
  check_names(s);
  const Plan plan = Plan::load(s.input / "plan.json");
  const std::vector<PreparedCase> cases = load_preprocessed(s.input);
  std::vector<std::string> ids;
  for (const auto& c : cases) ids.push_back(c.id);
  fs::create_directories(s.output);
  const Split split = load_or_make_split(s.output / "split.json", ids, s.val_fraction, s.seed);
  const auto train_cases = pick(cases, split.train);
  const auto val_cases = pick(cases, split.val);
  if (comm.is_root()) write_split_manifest(s.output, split);
  spdlog::info("{} training and {} validation cases; {} epochs x {} iterations", train_cases.size(),
               val_cases.size(), s.epochs, s.iterations);

  const torch::Device device(s.device);
  const fs::path last_file = s.output / "checkpoint_last.pt";
  const fs::path best_file = s.output / "checkpoint_best.pt";
  models::ModelPtr model = models::make_model(model_config(plan, s));
  TrainResult result;
  int start_epoch = 0;
  LrSchedule schedule(s.schedule, s.learning_rate, s.epochs);
  EarlyStopping early(s.early_stop, s.early_stop_on == "dice");
  if (s.resume && fs::exists(last_file)) {
    auto loaded = models::load_checkpoint(last_file, device);
    model = loaded.model;
    start_epoch = loaded.meta.state.value("epoch", -1) + 1;
    result.best_val_dice = loaded.meta.state.value("best_val_dice", 0.0);
    result.best_epoch = loaded.meta.state.value("best_epoch", -1);
    schedule.load(loaded.meta.state.value("schedule", json::object()));
    early.load(loaded.meta.state.value("early_stopping", json::object()));
    spdlog::info("resuming from {} at epoch {}", last_file.string(), start_epoch);
  }
  model->to(device);
  const std::unique_ptr<torch::optim::Optimizer> optimizer =
      make_optimizer({s.optimizer, s.learning_rate, s.weight_decay}, model->parameters());
  if (start_epoch > 0) models::load_optimizer_state(last_file, *optimizer);
  broadcast_parameters(*model, comm);
  std::vector<json> log = read_log(s.output / "train_log.jsonl", start_epoch);

  PatchSamplerOptions sampler_options;
  sampler_options.patch_xyz = plan.patch_size;
  sampler_options.foreground_fraction = s.foreground_fraction;
  sampler_options.augment = s.augment;
  sampler_options.spatial_dims = plan.spatial_dims;
  const int batch_size = s.batch_size > 0 ? s.batch_size : plan.batch_size;

  for (int epoch = start_epoch; epoch < s.epochs; ++epoch) {
    auto t0 = std::chrono::steady_clock::now();
    // Seeds derive from (seed, epoch, rank) so a resumed run draws what an unbroken one would.
    const uint64_t epoch_seed = s.seed * 1000003ULL + static_cast<uint64_t>(epoch) * 7919ULL +
                                static_cast<uint64_t>(comm.rank());
    torch::manual_seed(epoch_seed);
    PatchSampler sampler(sampler_options, epoch_seed);
    const double lr = schedule.lr(epoch);
    set_learning_rate(*optimizer, lr);
    model->train();
    double loss_sum = 0.0;
    for (int it = 0; it < s.iterations; ++it) {
      auto [x, y] = sampler.batch(train_cases, batch_size);
      optimizer->zero_grad();
      torch::Tensor loss;
      {
        Bf16Autocast autocast(s.bf16);
        loss = supervised_loss(s.loss, model->forward_deep_supervision(x.to(device)), y.to(device));
      }
      loss.backward();
      average_gradients(*model, comm);
      optimizer->step();
      loss_sum += loss.item<double>();
    }
    model->eval();
    Validation val;
    for (const auto* c : val_cases) {
      const Validation v = validate_case(*model, *c, plan, s);
      val.dice += v.dice / static_cast<double>(val_cases.size());
      val.loss += v.loss / static_cast<double>(val_cases.size());
    }
    schedule.report(val.loss);
    const bool stop = early.update(s.early_stop_on == "dice" ? val.dice : val.loss);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const bool best = result.best_epoch < 0 || val.dice > result.best_val_dice;
    if (best) {
      result.best_val_dice = val.dice;
      result.best_epoch = epoch;
    }
    result.epochs_run = epoch + 1;
    log.push_back({{"epoch", epoch},
                   {"train_loss", loss_sum / s.iterations},
                   {"val_loss", val.loss},
                   {"val_dice", val.dice},
                   {"lr", lr},
                   {"seconds", seconds}});
    spdlog::info("epoch {}/{}: lr {:.3g}, train loss {:.4f}, val loss {:.4f}, val Dice {:.4f}{} ({:.1f}s)",
                 epoch + 1, s.epochs, lr, loss_sum / s.iterations, val.loss, val.dice,
                 best ? " (best)" : "", seconds);
    if (comm.is_root()) {
      models::CheckpointMeta meta;
      meta.model_config = model->config();
      meta.plan = plan.to_json();
      meta.state = {{"epoch", epoch},
                    {"val_dice", val.dice},
                    {"val_loss", val.loss},
                    {"best_val_dice", result.best_val_dice},
                    {"best_epoch", result.best_epoch},
                    {"schedule", schedule.state()},
                    {"early_stopping", early.state()},
                    {"seed", s.seed}};
      models::save_checkpoint(last_file, *model, meta, optimizer.get());
      if (best) models::save_checkpoint(best_file, *model, meta, optimizer.get());
      write_log(s.output / "train_log.jsonl", log);
    }
    if (stop) {
      spdlog::info("early stopping: no better validation {} for {} epochs", s.early_stop_on,
                   s.early_stop);
      break;
    }
  }
  return result;
}

}  // namespace unetx::pipeline
