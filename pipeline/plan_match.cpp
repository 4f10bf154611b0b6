#include "pipeline/plan_match.h"

#include <filesystem>

#include "io/error.h"
#include "io/label_io.h"
#include "pipeline/modality.h"

namespace unetx::pipeline {

namespace {

[[noreturn]] void mismatch(const std::string& id, const std::string& what) {
  throw Error(id, "does not match the plan (made from another dataset?): " + what);
}

// Channel by channel: a known modality of another family than the plan's known one.
void check_modalities(const std::string& id, const std::vector<std::string>& found,
                      const Plan& plan) {
  for (size_t k = 0; k < found.size() && k < plan.modality.size(); ++k) {
    const std::string have = modality_family(found[k]);
    const std::string want = modality_family(plan.modality[k]);
    if (have.empty() || want.empty() || have == want) continue;
    mismatch(id, "channel " + std::to_string(k) + " is " + found[k] + ", the plan's is " +
                     plan.modality[k]);
  }
}

}  // namespace

void check_image_fits_plan(const std::string& id, const io::Volume& image, const Plan& plan) {
  // A channel count is not evidence of another dataset (a channel may just be missing from the
  // manifest), so it is said plainly, in the words predict_case uses for the network.
  if (image.data.defined() && image.data.dim() == 4 && image.channels() != plan.in_channels) {
    throw Error(id, "image has " + std::to_string(image.channels()) +
                        " channel(s), the model expects " + std::to_string(plan.in_channels));
  }
  auto dicom = image.meta.find("modality");
  if (dicom != image.meta.end()) {
    check_modalities(id, std::vector<std::string>(plan.modality.size(), dicom->second), plan);
  }
}

void check_case_fits_plan(const io::Case& c, const io::Volume& image, const Plan& plan,
                          const std::vector<std::string>& dataset_modalities) {
  check_image_fits_plan(c.id, image, plan);
  check_modalities(c.id, case_modalities(c, image, dataset_modalities), plan);
  std::error_code ec;
  if (!c.label || !std::filesystem::exists(*c.label, ec)) return;
  const io::Volume label = io::read_label(*c.label, image);
  const int64_t hi = label.data.max().item<double>();
  if (hi >= plan.num_classes()) {
    mismatch(c.id, "label value " + std::to_string(hi) + " has no class in the plan (labels 0.." +
                       std::to_string(plan.num_classes() - 1) + ")");
  }
}

}  // namespace unetx::pipeline
