// How faithful an attribution is to the model it explains, so methods can be ranked on a cohort:
// infidelity and max-sensitivity (Yeh et al., "On the (in)fidelity and sensitivity of
// explanations", 2019), and deletion / insertion curves (Petsiuk et al. 2018, RISE).
#pragma once

#include <ATen/ATen.h>

#include <vector>

#include "xai/attribution.h"

namespace unetx::xai {

// Every metric below takes x (1, C, spatial...), an attribution phi (1, C or 1, spatial...;
// a one-channel map is broadcast over the input channels) and an objective with a FIXED
// region (fix_region), so f is the same function for every perturbed input.

// E_I[(I . phi - (f(x) - f(x - I)))^2] over `samples` Gaussian perturbations I ~ N(0, sigma^2)
// per input element. Zero when phi is exactly the gradient of a linear f. Units: score^2.
double infidelity(models::SegmentationModel& model, const at::Tensor& x, const at::Tensor& phi,
                  const Objective& obj, int samples, double sigma, int batch = 8);

// max over `samples` d, uniform in [-radius, radius] per element, of
// ||explain(x + d) - phi|| / ||phi|| (Frobenius norms; inf when phi is 0 and a perturbed
// attribution is not, 0 when both are 0).
double max_sensitivity(models::SegmentationModel& model, const at::Tensor& x, const at::Tensor& phi,
                       const at::Tensor& baseline, const Objective& obj, const AttributionFn& explain,
                       const MethodOptions& options, int samples, double radius);

// A deletion (or insertion) curve: f at fractions 0, 1/steps, ..., 1 of the voxels, taken in
// decreasing order of the map (phi summed over channels; ties by index). Deletion replaces the
// top voxels of x by the baseline (all channels); insertion starts from the baseline and puts
// the top voxels of x back. auc = trapezoidal area over the fraction axis [0, 1].
struct Curve {
  std::vector<double> scores;  // steps + 1 values of f
  double auc = 0;
};
Curve deletion_curve(models::SegmentationModel& model, const at::Tensor& x, const at::Tensor& phi,
                     const at::Tensor& baseline, const Objective& obj, int steps, int batch = 8);
Curve insertion_curve(models::SegmentationModel& model, const at::Tensor& x, const at::Tensor& phi,
                      const at::Tensor& baseline, const Objective& obj, int steps, int batch = 8);

struct FaithfulnessOptions {
  int samples = 8;       // infidelity perturbations and max-sensitivity draws
  double noise = 0.1;    // infidelity sigma, as a fraction of x's standard deviation
  double radius = 0.02;  // max-sensitivity radius, as a fraction of x's (max - min)
  int steps = 16;        // deletion / insertion curve steps
};

struct FaithfulnessScores {
  double infidelity = 0, max_sensitivity = 0, deletion_auc = 0, insertion_auc = 0;
};

// All four for one sample x (1, C, spatial...) and its attribution phi = explain(x). Deletion and
// insertion areas are divided by |f(x)| (when non-zero) so cases of different size compare.
FaithfulnessScores faithfulness(models::SegmentationModel& model, const at::Tensor& x,
                                const at::Tensor& phi, const at::Tensor& baseline,
                                const Objective& obj, const AttributionFn& explain,
                                const MethodOptions& method_options,
                                const FaithfulnessOptions& options);

}  // namespace unetx::xai
