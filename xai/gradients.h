// Gradient-family attributions of an Objective (attribution.h) with respect to the input.
// Every function has the AttributionFn signature; all return (B, C, spatial...) float32,
// detached, on x's device; `baseline` is used only where the method has one.
#pragma once

#include "xai/attribution.h"

namespace unetx::xai {

// |df/dx| (Simonyan et al. 2014), one forward + one backward pass.
at::Tensor saliency(models::SegmentationModel& model, const at::Tensor& x, const at::Tensor& baseline,
                    const Objective& obj, const MethodOptions& options);

// x * df/dx (signed).
at::Tensor input_x_gradient(models::SegmentationModel& model, const at::Tensor& x,
                            const at::Tensor& baseline, const Objective& obj,
                            const MethodOptions& options);

// Mean of |df/dx| over options.samples copies x + N(0, sigma^2), sigma = options.noise times each
// sample's (max - min) (Smilkov et al. 2017); options.batch copies per pass. Region fixed at x.
at::Tensor smoothgrad(models::SegmentationModel& model, const at::Tensor& x, const at::Tensor& baseline,
                      const Objective& obj, const MethodOptions& options);

// Integrated gradients (Sundararajan et al. 2017): (x - x0) * mean over the options.steps
// midpoints a = (k + 1/2) / S of df/dx at x0 + a (x - x0); options.batch steps per pass. Region
// fixed at x. Completeness: the sum of the attributions approaches f(x) - f(x0) as S grows
// (the midpoint rule's error is O(1/S^2) for smooth f).
at::Tensor integrated_gradients(models::SegmentationModel& model, const at::Tensor& x,
                                const at::Tensor& baseline, const Objective& obj,
                                const MethodOptions& options);

// Guided backpropagation (Springenberg et al. 2015): df/dx with every stage activation passing
// only positive gradients (AttributionMode::guided).
at::Tensor guided_backprop(models::SegmentationModel& model, const at::Tensor& x,
                           const at::Tensor& baseline, const Objective& obj,
                           const MethodOptions& options);

// DeepLIFT, rescale rule (Shrikumar et al. 2017): (x - x0) * multipliers, the multipliers being
// the gradient with every stage activation's derivative replaced by its secant between the
// reference pass (at x0) and x. Region fixed at x. Summation-to-delta (sum = f(x) - f(x0)) is
// exact for networks whose only nonlinearities are those activations (conv, eval-mode batch
// norm, linear upsampling); instance norm, max pooling and attention gates make it approximate.
at::Tensor deeplift(models::SegmentationModel& model, const at::Tensor& x, const at::Tensor& baseline,
                    const Objective& obj, const MethodOptions& options);

// The "blur" baseline: x smoothed by a separable Gaussian of `sigma` voxels along every spatial
// axis (zero padding). x: (B, C, spatial...) -> same shape.
at::Tensor blurred_baseline(const at::Tensor& x, double sigma = 4.0);

}  // namespace unetx::xai
