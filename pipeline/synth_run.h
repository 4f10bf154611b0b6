// `unetx synth`: writes a phantom cohort (images/, labels/, manifest.csv) for smoke runs,
// tests and scale tests; images as NIfTI, or as DICOM series (one folder per case). The manifest is
// a cohort manifest every other command reads.
#pragma once

#include <filesystem>

#include "distributed/communicator.h"
#include "pipeline/cohort_runner.h"
#include "pipeline/synth.h"

namespace unetx::pipeline {

struct SynthSettings {
  std::filesystem::path output;
  SynthOptions phantom;
  bool dicom = false;  // images as DICOM MR series folders (labels stay NIfTI)
};

RunSummary run_synth(const SynthSettings& settings, dist::Communicator& comm);

}  // namespace unetx::pipeline
