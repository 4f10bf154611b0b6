// Monte-Carlo dropout (Gal & Ghahramani 2016): sample the predictive distribution by keeping
// dropout active at inference while everything else (notably batch norm) stays in eval mode.
#pragma once

#include "models/segmentation_model.h"

namespace unetx::models {

// Puts `model` in eval mode; when `on`, then switches every dropout module in the tree
// (Dropout, Dropout2d, Dropout3d, AlphaDropout, FeatureAlphaDropout) back to train mode.
// Returns the number of dropout modules found (and switched); 0 means the model has none, so
// MC-dropout sampling would return identical predictions.
int set_mc_dropout(SegmentationModel& model, bool on);

}  // namespace unetx::models
