// Optimizers and learning-rate schedules for `unetx train`, by name, with their state kept in the
// checkpoint so a resumed run continues the same schedule (see trainer.cpp).
//
// Schedules are evaluated once per epoch, before it starts:
//   constant  lr
//   poly      lr * (1 - epoch / epochs)^0.9                 (nnU-Net's default)
//   cosine    lr_min + (lr - lr_min) (1 + cos(pi epoch / epochs)) / 2, lr_min = lr / 100
//   plateau   lr halved (factor 0.5) after `patience` (5) epochs without a new best
//             validation loss; never below lr / 1000
#pragma once

#include <torch/torch.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace unetx::pipeline {

struct OptimizerSettings {
  std::string name = "adam";  // adam | adamw | sgd (Nesterov momentum 0.99, as nnU-Net)
  double learning_rate = 1e-3;
  double weight_decay = 0.0;
};

// Throws std::invalid_argument for an unknown name (the message lists the names).
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerSettings& settings,
                                                        std::vector<torch::Tensor> parameters);

// Sets the learning rate of every parameter group.
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

class LrSchedule {
 public:
  // Throws std::invalid_argument for an unknown name (constant | poly | cosine | plateau).
  LrSchedule(std::string name, double base_lr, int epochs, int patience = 5, double factor = 0.5);

  // Learning rate for `epoch` (0-based). For plateau this is the rate after the last report.
  double lr(int epoch) const;
  // Reports the validation loss of a finished epoch (only plateau uses it).
  void report(double val_loss);

  // What a checkpoint stores, and restoring it (plateau's best loss, bad epochs, current lr).
  nlohmann::json state() const;
  void load(const nlohmann::json& state);

 private:
  std::string name_;
  double base_lr_;
  int epochs_;
  int patience_;
  double factor_;
  double current_lr_;
  double best_loss_ = 1e300;
  int bad_epochs_ = 0;
};

// Stops training after `patience` epochs without improvement of the watched value (validation
// loss, lower is better, or Dice, higher is better). patience 0 never stops.
class EarlyStopping {
 public:
  EarlyStopping(int patience, bool higher_is_better);
  // Records one epoch's value; true when training should stop now.
  bool update(double value);
  nlohmann::json state() const;
  void load(const nlohmann::json& state);

 private:
  int patience_;
  bool higher_is_better_;
  double best_;
  int bad_epochs_ = 0;
};

}  // namespace unetx::pipeline
