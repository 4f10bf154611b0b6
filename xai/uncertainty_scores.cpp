#include "xai/uncertainty_scores.h"

#include <algorithm>
#include <numeric>
#include <sstream>

#include "io/error.h"
#include "pipeline/metrics.h"
#include "xai/calibration.h"
#include "xai/uncertainty.h"

namespace unetx::xai {

at::Tensor boundary_mask(const at::Tensor& labels) {
  if (labels.dim() != 3) throw Error("boundary_mask", "labels must be (Z, Y, X)");
  const at::Tensor fg = labels.ne(0);
  const at::Tensor bg = fg.logical_not();
  at::Tensor touches = at::zeros_like(fg);
  for (int64_t d = 0; d < 3; ++d) {
    const int64_t n = fg.size(d);
    if (n < 2) continue;
    // A voxel touches background when its neighbour at -1 or +1 along d is background.
    touches.narrow(d, 1, n - 1).logical_or_(bg.narrow(d, 0, n - 1));
    touches.narrow(d, 0, n - 1).logical_or_(bg.narrow(d, 1, n - 1));
  }
  return fg.logical_and(touches);
}

namespace {

at::Tensor confidence_of(const at::Tensor& probs) {
  if (probs.size(0) == 1) return at::max(probs[0], 1 - probs[0]);
  return std::get<0>(probs.max(0));
}

void check_shapes(const CaseScoreInputs& in) {
  const auto grid = in.labels.sizes();
  std::ostringstream msg;
  if (in.uncertainty.numel() != in.labels.numel() || in.probs.dim() != 4 ||
      in.probs.sizes().slice(1) != grid) {
    msg << "uncertainty " << in.uncertainty.sizes() << ", probabilities " << in.probs.sizes()
        << " and labels " << grid << " disagree";
  } else if (in.reference.defined() && in.reference.sizes() != grid) {
    msg << "reference grid " << in.reference.sizes() << " differs from the image grid " << grid;
  }
  if (!msg.str().empty()) throw Error("score_case", msg.str());
}

void score_reference(const CaseScoreInputs& in, const at::Tensor& u, CaseScores& s) {
  const at::Tensor ref = in.reference.to(at::kLong);
  const at::Tensor pred = in.labels.to(at::kLong);
  const at::Tensor error = pred.ne(ref);
  s.error_voxels = error.sum().item<int64_t>();
  const int64_t k = std::max<int64_t>(in.probs.size(0), 2);
  const std::vector<double> dice = pipeline::dice_per_class(pred, ref, k);
  s.dice = dice.empty() ? CaseScores::kNaN
                        : std::accumulate(dice.begin(), dice.end(), 0.0) /
                              static_cast<double>(dice.size());
  s.auroc = auroc(u, error);
  const at::Tensor confidence = confidence_of(in.probs), correct = error.logical_not();
  s.ece = expected_calibration_error(confidence, correct, in.ece_bins);
  s.error_histogram.add(u, error);
  s.calibration = CalibrationSums(in.ece_bins);
  s.calibration.add(confidence, correct);
}

}  // namespace

CaseScores score_case(const CaseScoreInputs& in) {
  check_shapes(in);
  const at::Tensor u = in.uncertainty.reshape(in.labels.sizes());
  CaseScores s;
  s.mean = mean_over(u);
  const at::Tensor fg = in.labels.ne(0);
  if (fg.any().item<bool>()) s.inside = mean_over(u, fg);
  const at::Tensor border = boundary_mask(in.labels);
  if (border.any().item<bool>()) s.boundary = mean_over(u, border);
  s.volume_cv = volume_cv(in.foreground_voxels);
  if (in.reference.defined()) score_reference(in, u, s);
  return s;
}

}  // namespace unetx::xai
