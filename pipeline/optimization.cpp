#include "pipeline/optimization.h"

#include <cmath>
#include <stdexcept>

namespace unetx::pipeline {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerSettings& s,
                                                        std::vector<torch::Tensor> parameters) {
  namespace optim = torch::optim;
  if (s.name == "adam") {
    return std::make_unique<optim::Adam>(
        std::move(parameters), optim::AdamOptions(s.learning_rate).weight_decay(s.weight_decay));
  }
  if (s.name == "adamw") {
    return std::make_unique<optim::AdamW>(
        std::move(parameters), optim::AdamWOptions(s.learning_rate).weight_decay(s.weight_decay));
  }
  if (s.name == "sgd") {
    return std::make_unique<optim::SGD>(std::move(parameters), optim::SGDOptions(s.learning_rate)
                                                                   .momentum(0.99)
                                                                   .nesterov(true)
                                                                   .weight_decay(s.weight_decay));
  }
  throw std::invalid_argument("unknown optimizer '" + s.name + "' (adam, adamw, sgd)");
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

LrSchedule::LrSchedule(std::string name, double base_lr, int epochs, int patience, double factor)
    : name_(std::move(name)),
      base_lr_(base_lr),
      epochs_(std::max(1, epochs)),
      patience_(patience),
      factor_(factor),
      current_lr_(base_lr) {
  if (name_ != "constant" && name_ != "poly" && name_ != "cosine" && name_ != "plateau") {
    throw std::invalid_argument("unknown schedule '" + name_ +
                                "' (constant, poly, cosine, plateau)");
  }
}

double LrSchedule::lr(int epoch) const {
  const double t = std::min(1.0, static_cast<double>(epoch) / epochs_);
  if (name_ == "poly") return base_lr_ * std::pow(1.0 - t, 0.9);
  if (name_ == "cosine") {
    const double lr_min = base_lr_ / 100.0;
    return lr_min + (base_lr_ - lr_min) * (1.0 + std::cos(M_PI * t)) / 2.0;
  }
  if (name_ == "plateau") return current_lr_;
  return base_lr_;
}

void LrSchedule::report(double val_loss) {
  if (name_ != "plateau") return;
  if (val_loss < best_loss_) {
    best_loss_ = val_loss;
    bad_epochs_ = 0;
    return;
  }
  if (++bad_epochs_ > patience_) {
    current_lr_ = std::max(current_lr_ * factor_, base_lr_ / 1000.0);
    bad_epochs_ = 0;
  }
}

nlohmann::json LrSchedule::state() const {
  return {{"name", name_}, {"lr", current_lr_}, {"best_loss", best_loss_}, {"bad_epochs", bad_epochs_}};
}

void LrSchedule::load(const nlohmann::json& state) {
  if (state.value("name", name_) != name_) return;  // a new schedule starts fresh
  current_lr_ = state.value("lr", current_lr_);
  best_loss_ = state.value("best_loss", best_loss_);
  bad_epochs_ = state.value("bad_epochs", bad_epochs_);
}

EarlyStopping::EarlyStopping(int patience, bool higher_is_better)
    : patience_(patience), higher_is_better_(higher_is_better), best_(higher_is_better ? -1e300 : 1e300) {}

bool EarlyStopping::update(double value) {
  const bool better = higher_is_better_ ? value > best_ : value < best_;
  if (better) {
    best_ = value;
    bad_epochs_ = 0;
    return false;
  }
  ++bad_epochs_;
  return patience_ > 0 && bad_epochs_ >= patience_;
}

nlohmann::json EarlyStopping::state() const { return {{"best", best_}, {"bad_epochs", bad_epochs_}}; }

void EarlyStopping::load(const nlohmann::json& state) {
  best_ = state.value("best", best_);
  bad_epochs_ = state.value("bad_epochs", bad_epochs_);
}

}  // namespace unetx::pipeline
