#include "models/mc_dropout.h"

namespace unetx::models {
namespace {

bool is_dropout(torch::nn::Module& m) {
  namespace nn = torch::nn;
  return m.as<nn::DropoutImpl>() || m.as<nn::Dropout2dImpl>() || m.as<nn::Dropout3dImpl>() ||
         m.as<nn::AlphaDropoutImpl>() || m.as<nn::FeatureAlphaDropoutImpl>();
}

}  // namespace

int set_mc_dropout(SegmentationModel& model, bool on) {
  model.eval();
  int count = 0;
  for (const auto& m : model.modules(/*include_self=*/false)) {
    if (!is_dropout(*m)) continue;
    m->train(on);
    ++count;
  }
  return count;
}

}  // namespace unetx::models
