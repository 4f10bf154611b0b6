#include "xai/excitation.h"

#include <torch/torch.h>

#include <algorithm>

#include "io/atomic_file.h"
#include "io/error.h"

namespace unetx::xai {
namespace {

// "se.3" or "se.3.channel" -> "se.3"; anything else (spatial gates, other taps) -> "".
std::string channel_stage(const std::string& tap) {
  if (tap.rfind("se.", 0) != 0) return "";
  const size_t dot = tap.find('.', 3);
  if (dot == std::string::npos) return tap;
  return tap.substr(dot) == ".channel" ? tap.substr(0, dot) : "";
}

// Archive keys are attribute names, which may not hold dots: "se.0" <-> "se_0".
std::string archive_key(std::string stage) {
  std::replace(stage.begin(), stage.end(), '.', '_');
  return stage;
}
std::string stage_name(std::string key) {
  std::replace(key.begin(), key.end(), '_', '.');
  return key;
}

std::vector<double> to_vector(const at::Tensor& t) {
  const at::Tensor c = t.to(at::kDouble).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

}  // namespace

void ExcitationStats::add(const at::Tensor& vectors) {
  const at::Tensor v = vectors.detach().to(at::kDouble).cpu();
  if (!sum.defined()) {
    sum = at::zeros({v.size(1)}, v.options());
    outer = at::zeros({v.size(1), v.size(1)}, v.options());
  }
  count += v.size(0);
  sum += v.sum(0);
  outer += v.t().mm(v);
}

void ExcitationStats::merge(const ExcitationStats& other) {
  if (other.count == 0) return;
  if (count == 0) {
    *this = ExcitationStats{other.count, other.sum.clone(), other.outer.clone()};
    return;
  }
  count += other.count;
  sum += other.sum;
  outer += other.outer;
}

at::Tensor ExcitationStats::mean() const { return sum / static_cast<double>(count); }

at::Tensor ExcitationStats::covariance() const {
  const at::Tensor m = mean();
  return outer / static_cast<double>(count) - at::outer(m, m);
}

at::Tensor ExcitationStats::variance() const { return covariance().diagonal().clamp_min(0); }

int64_t linear_excitation_threshold(const at::Tensor& covariance, double delta) {
  // Rounding can leave tiny negative eigenvalues of a covariance: they carry no energy.
  const at::Tensor eig = std::get<0>(at::linalg_eigh(covariance.to(at::kDouble))).clamp_min(0);
  const at::Tensor sorted = std::get<0>(eig.sort(0, /*descending=*/true));
  const double total = sorted.sum().item<double>();
  if (total <= 0) return 0;
  const at::Tensor cumulative = sorted.cumsum(0) / total;
  const int64_t below = cumulative.lt(delta - 1e-12).sum().item<int64_t>();
  return std::min<int64_t>(below + 1, sorted.numel());
}

bool has_channel_excitations(const models::SegmentationModel& model) {
  for (const auto& t : model.tap_names()) {
    if (!channel_stage(t).empty()) return true;
  }
  return false;
}

at::Tensor collect_excitations(models::SegmentationModel& model, const at::Tensor& x,
                               ExcitationTable& table) {
  torch::NoGradGuard no_grad;
  model.record_taps(true);
  at::Tensor logits;
  try {
    logits = model.forward(x);
  } catch (...) {
    model.record_taps(false);
    throw;
  }
  for (const auto& [name, gate] : model.taps()) {
    const std::string stage = channel_stage(name);
    // sSE's single gate is spatial (B, 1, spatial...): not a channel excitation.
    const bool per_channel = gate.dim() >= 2 && gate.numel() == gate.size(0) * gate.size(1);
    if (!stage.empty() && per_channel) table[stage].add(gate.flatten(1));
  }
  model.record_taps(false);
  return logits;
}

// One archive: per stage a sub-archive named after it with count, sum and outer.
void save_excitations(const ExcitationTable& table, const std::filesystem::path& file) {
  torch::serialize::OutputArchive archive;
  for (const auto& [name, s] : table) {
    torch::serialize::OutputArchive stage;
    stage.write("count", at::full({1}, static_cast<double>(s.count), at::kDouble));
    stage.write("sum", s.sum);
    stage.write("outer", s.outer);
    archive.write(archive_key(name), stage);
  }
  io::AtomicFile out(file);
  archive.save_to(out.temp_path().string());
  out.commit();
}

ExcitationTable load_excitations(const std::filesystem::path& file) {
  ExcitationTable table;
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(file.string());
    for (const std::string& name : archive.keys()) {
      torch::serialize::InputArchive stage;
      archive.read(name, stage);
      at::Tensor count;
      ExcitationStats& s = table[stage_name(name)];
      stage.read("count", count);
      stage.read("sum", s.sum);
      stage.read("outer", s.outer);
      s.count = static_cast<int64_t>(count.item<double>());
    }
  } catch (const c10::Error& e) {
    throw Error(file.string(), "unreadable excitation sums: " + std::string(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    throw Error(file.string(), std::string("unreadable excitation sums: ") + e.what());
  }
  return table;
}

nlohmann::json excitation_report(const ExcitationTable& table, double delta) {
  nlohmann::json stages = nlohmann::json::object();
  for (const auto& [name, s] : table) {
    if (s.count == 0) continue;
    stages[name] = {{"channels", s.sum.numel()},
                    {"samples", s.count},
                    {"mean", to_vector(s.mean())},
                    {"variance", to_vector(s.variance())},
                    {"linear_excitation_threshold", linear_excitation_threshold(s.covariance(), delta)}};
  }
  return {{"delta", delta}, {"stages", stages}};
}

}  // namespace unetx::xai
