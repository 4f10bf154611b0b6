// Excitation analysis of squeeze-and-excitation networks over a cohort: the channel gates
// ("se.i" or "se.i.channel" taps, (B, C, 1...)) of every explained window, summarized per stage
// by per-channel mean and variance and by the linear excitation threshold: the number of
// principal components of the excitation covariance needed to explain a fraction delta of its
// energy (sum of eigenvalues). Few components = the stage's gates move along few directions.
#pragma once

#include <ATen/ATen.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/segmentation_model.h"

namespace unetx::xai {

// Running sums of the excitation vectors of one stage: count, sum (C), sum of outer products
// (C, C), in float64 so that cohort-size sums stay exact enough.
struct ExcitationStats {
  int64_t count = 0;
  at::Tensor sum, outer;

  // vectors: (N, C).
  void add(const at::Tensor& vectors);
  void merge(const ExcitationStats& other);
  at::Tensor mean() const;        // (C)
  at::Tensor covariance() const;  // (C, C), population (divides by count)
  at::Tensor variance() const;    // (C), its diagonal
};

// Stage tap name ("se.0", from "se.0" or "se.0.channel") -> stats.
using ExcitationTable = std::map<std::string, ExcitationStats>;

// Smallest k such that the k largest eigenvalues of the symmetric `covariance` sum to at least
// delta times their total; 0 for a zero matrix. delta in (0, 1].
int64_t linear_excitation_threshold(const at::Tensor& covariance, double delta = 0.95);

// True when the model has channel excitation taps.
bool has_channel_excitations(const models::SegmentationModel& model);

// One no-grad forward pass of x (B, C_in, spatial...) with taps recorded; adds each channel
// gate (B, C) of every stage to `table`. Returns the logits.
at::Tensor collect_excitations(models::SegmentationModel& model, const at::Tensor& x,
                               ExcitationTable& table);

// Save / load a table (one case's sums) as a torch archive, atomically; load throws
// unetx::Error naming the file when it is unreadable.
void save_excitations(const ExcitationTable& table, const std::filesystem::path& file);
ExcitationTable load_excitations(const std::filesystem::path& file);

// {"delta": d, "stages": {"se.0": {"channels": C, "samples": n, "mean": [...], "variance":
// [...], "linear_excitation_threshold": k}, ...}}
nlohmann::json excitation_report(const ExcitationTable& table, double delta = 0.95);

}  // namespace unetx::xai
