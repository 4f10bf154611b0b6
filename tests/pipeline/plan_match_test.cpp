// A plan from another dataset is refused with one line naming the case and the mismatch.
#include "pipeline/plan_match.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "io/error.h"
#include "io/image_io.h"
#include "pipeline/case_prep.h"
#include "pipeline/modality.h"

namespace fs = std::filesystem;
using namespace unetx::pipeline;

namespace {

unetx::io::Volume image(int channels, const std::string& dicom_modality = "") {
  unetx::io::Volume v;
  v.data = at::ones({channels, 4, 4, 4});
  if (!dicom_modality.empty()) v.meta["modality"] = dicom_modality;
  return v;
}

Plan ct_plan() {
  Plan p;
  p.in_channels = 1;
  p.modality = {"CT"};
  p.labels = {"background", "liver"};
  return p;
}

// The reason of the Error `f` throws, "" when it throws none.
template <typename F>
std::string reason_of(F f) {
  try {
    f();
  } catch (const unetx::Error& e) {
    EXPECT_EQ(e.reason().find('\n'), std::string::npos);
    return e.subject() + ": " + e.reason();
  }
  return "";
}

}  // namespace

TEST(ModalityFamily, GroupsMrSequencesAndIgnoresUnknown) {
  EXPECT_EQ(modality_family("ct"), "CT");
  EXPECT_EQ(modality_family(" T1w "), "MR");
  EXPECT_EQ(modality_family("FLAIR"), "MR");
  EXPECT_EQ(modality_family("MRI"), "MR");
  EXPECT_EQ(modality_family("PT"), "PT");
  EXPECT_EQ(modality_family(""), "");
  EXPECT_EQ(modality_family("unknown"), "");
}

TEST(ModalityFamily, ManifestColumnsGivePerChannelModalities) {
  unetx::io::Case c;
  c.extra["modality"] = "T1;T2";
  EXPECT_EQ(manifest_modalities(c, 2), (std::vector<std::string>{"T1", "T2"}));
  c.extra["modality"] = "CT";
  EXPECT_EQ(manifest_modalities(c, 2), (std::vector<std::string>{"CT", "CT"}));
  c.extra["modality_1"] = "PT";
  EXPECT_EQ(manifest_modalities(c, 2), (std::vector<std::string>{"CT", "PT"}));
  // The manifest wins over the DICOM attribute; the attribute fills what is unknown.
  unetx::io::Case bare;
  EXPECT_EQ(case_modalities(bare, image(1, "MR"), {}), std::vector<std::string>{"MR"});
  EXPECT_EQ(case_modalities(c, image(2, "MR"), {}), (std::vector<std::string>{"CT", "PT"}));
}

TEST(PlanMatch, ChannelCountModalityAndLabelsFromAnotherDatasetAreRefused) {
  const Plan plan = ct_plan();
  EXPECT_EQ(reason_of([&] { check_image_fits_plan("p1", image(1, "CT"), plan); }), "");
  EXPECT_EQ(reason_of([&] { check_image_fits_plan("p1", image(1), plan); }), "");
  EXPECT_EQ(reason_of([&] { check_image_fits_plan("p2", image(2), plan); }),
            "p2: image has 2 channel(s), the model expects 1");
  EXPECT_EQ(reason_of([&] { check_image_fits_plan("p3", image(1, "MR"), plan); }),
            "p3: does not match the plan (made from another dataset?): channel 0 is MR, the "
            "plan's is CT");
  // prepare_case (predict, explain, uncertainty) runs the same check.
  EXPECT_NE(reason_of([&] { prepare_case("p3", image(1, "MR"), nullptr, plan); })
                .find("channel 0 is MR"),
            std::string::npos);

  unetx::io::Case c;
  c.id = "p4";
  c.extra["modality"] = "T2w";
  EXPECT_NE(reason_of([&] { check_case_fits_plan(c, image(1), plan); }).find("channel 0 is T2w"),
            std::string::npos);
  // A plan that does not know its modality (format 1) accepts any.
  Plan unknown = plan;
  unknown.modality.clear();
  EXPECT_EQ(reason_of([&] { check_case_fits_plan(c, image(1), unknown); }), "");

  const fs::path dir = fs::temp_directory_path() / "unetx_plan_match_test";
  fs::create_directories(dir);
  unetx::io::Volume label;
  label.data = at::zeros({1, 4, 4, 4}, at::kByte);
  label.data[0][1][1][1] = 3;
  unetx::io::write_image(label, dir / "label.nii");
  unetx::io::Case labelled;
  labelled.id = "p5";
  labelled.label = dir / "label.nii";
  EXPECT_EQ(reason_of([&] { check_case_fits_plan(labelled, image(1), plan); }),
            "p5: does not match the plan (made from another dataset?): label value 3 has no "
            "class in the plan (labels 0..1)");
  // A label named in the manifest but absent is not this check's business.
  labelled.label = dir / "absent.nii";
  EXPECT_EQ(reason_of([&] { check_case_fits_plan(labelled, image(1), plan); }), "");
  fs::remove_all(dir);
}
