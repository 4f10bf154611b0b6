#include "pipeline/trainer.h"

#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <chrono>
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
#include "pipeline/patch_sampler.h"
#include "pipeline/plan.h"
#include "pipeline/training_data.h"

namespace unetx::pipeline {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

json model_config(const Plan& plan) {
  json config = plan.network;
  config["in_channels"] = plan.in_channels;
  config["num_classes"] = plan.num_classes();
  config["dims"] = plan.spatial_dims;
  return config;
}

// Mean over foreground classes of the Dice of one whole case.
double case_dice(models::SegmentationModel& model, const PreparedCase& c, const Plan& plan,
                 bool bf16) {
  InferenceOptions options;
  options.bf16 = bf16;
  at::Tensor probs = predict_probabilities(model, c.image, plan, options);
  at::Tensor pred = probs.argmax(0, /*keepdim=*/true).to(at::kByte);
  const std::vector<double> dice = dice_per_class(pred, c.label, plan.num_classes());
  return dice.empty() ? 0.0 : std::accumulate(dice.begin(), dice.end(), 0.0) / dice.size();
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

TrainResult train(const TrainSettings& s, dist::Communicator& comm) {
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
  models::ModelPtr model = models::make_model(model_config(plan));
  TrainResult result;
  int start_epoch = 0;
  if (s.resume && fs::exists(last_file)) {
    auto loaded = models::load_checkpoint(last_file, device);
    model = loaded.model;
    start_epoch = loaded.meta.state.value("epoch", -1) + 1;
    result.best_val_dice = loaded.meta.state.value("best_val_dice", 0.0);
    result.best_epoch = loaded.meta.state.value("best_epoch", -1);
    spdlog::info("resuming from {} at epoch {}", last_file.string(), start_epoch);
  }
  model->to(device);
  torch::optim::Adam optimizer(
      model->parameters(), torch::optim::AdamOptions(s.learning_rate).weight_decay(s.weight_decay));
  if (start_epoch > 0) models::load_optimizer_state(last_file, optimizer);
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
    model->train();
    double loss_sum = 0.0;
    for (int it = 0; it < s.iterations; ++it) {
      auto [x, y] = sampler.batch(train_cases, batch_size);
      optimizer.zero_grad();
      torch::Tensor loss;
      {
        Bf16Autocast autocast(s.bf16);
        loss = dice_ce_loss(model->forward(x.to(device)).to(torch::kFloat32), y.to(device));
      }
      loss.backward();
      average_gradients(*model, comm);
      optimizer.step();
      loss_sum += loss.item<double>();
    }
    model->eval();
    double val_dice = 0.0;
    for (const auto* c : val_cases) val_dice += case_dice(*model, *c, plan, s.bf16);
    val_dice /= static_cast<double>(std::max<size_t>(1, val_cases.size()));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const bool best = result.best_epoch < 0 || val_dice > result.best_val_dice;
    if (best) {
      result.best_val_dice = val_dice;
      result.best_epoch = epoch;
    }
    result.epochs_run = epoch + 1;
    log.push_back({{"epoch", epoch},
                   {"train_loss", loss_sum / s.iterations},
                   {"val_dice", val_dice},
                   {"lr", s.learning_rate},
                   {"seconds", seconds}});
    spdlog::info("epoch {}/{}: train loss {:.4f}, val Dice {:.4f}{} ({:.1f}s)", epoch + 1, s.epochs,
                 loss_sum / s.iterations, val_dice, best ? " (best)" : "", seconds);
    if (!comm.is_root()) continue;
    models::CheckpointMeta meta;
    meta.model_config = model->config();
    meta.plan = plan.to_json();
    meta.state = {{"epoch", epoch},
                  {"val_dice", val_dice},
                  {"best_val_dice", result.best_val_dice},
                  {"best_epoch", result.best_epoch},
                  {"seed", s.seed}};
    models::save_checkpoint(last_file, *model, meta, &optimizer);
    if (best) models::save_checkpoint(best_file, *model, meta, &optimizer);
    write_log(s.output / "train_log.jsonl", log);
  }
  return result;
}

}  // namespace unetx::pipeline
