// Does a case belong to the dataset a plan was made from? Predicting with a plan (or a
// checkpoint carrying one) from another cohort silently gives garbage; these checks turn the
// mismatches we can see into one clear line naming the case.
#pragma once

#include <string>
#include <vector>

#include "io/manifest.h"
#include "io/volume.h"
#include "pipeline/plan.h"

namespace unetx::pipeline {

// What the image alone shows: its channel count and its DICOM Modality (image.meta["modality"])
// against the plan's. Throws unetx::Error(id, "does not match the plan (made from another
// dataset?): ...").
void check_image_fits_plan(const std::string& id, const io::Volume& image, const Plan& plan);

// Everything a cohort case shows: check_image_fits_plan, the modalities its manifest (or
// `dataset_modalities`, see modality.h) states, and the values of its label file when it has one
// that exists (a label value the plan has no class for). Same error as above.
void check_case_fits_plan(const io::Case& c, const io::Volume& image, const Plan& plan,
                          const std::vector<std::string>& dataset_modalities = {});

}  // namespace unetx::pipeline
