// Slab-wise inference within a memory budget gives what the whole-volume path gives: the same
// windows blended into a moving band of rows, then mapped to the original grid slab by slab.
#include "pipeline/slab_inference.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "models/checkpoint.h"
#include "models/registry.h"
#include "pipeline/ensemble.h"
#include "pipeline/inference.h"
#include "pipeline/orientation.h"

namespace unetx::pipeline {
namespace {

namespace fs = std::filesystem;

TEST(SlidingWindowSlabs, EmitsEveryRowOnceInOrderAndMatchesTheWholeVolume) {
  torch::manual_seed(2);
  const at::Tensor image = at::randn({2, 23, 9, 11});
  // A window function that is not the identity and depends on the window's position in it.
  const WindowFn fn = [](const at::Tensor& b) {
    return at::cat({b.sin(), b.cos() * at::linspace(0, 1, b.size(4)).view({1, 1, 1, 1, -1})}, 1);
  };
  const SlidingWindowOptions o{{6, 5, 7}, 0.5, 3, 3};
  const at::Tensor whole = sliding_window(image, 4, o, fn);
  for (int64_t band : {0, 7, 10, 100}) {
    std::vector<at::Tensor> slabs;
    int64_t next = 0;
    sliding_window_slabs(image, 4, o, band, fn, [&](int64_t z0, const at::Tensor& slab) {
      EXPECT_EQ(z0, next) << "band " << band;
      next = z0 + slab.size(1);
      slabs.push_back(slab);
    });
    EXPECT_EQ(next, 23);
    // The band is at least the window (7 rows); windows start at z 0, 3, 6, 10, 13, 16, so a
    // band of 7 finishes a slab at each of them, one of 10 at 6, 10 and 16.
    if (band <= 7) {
      EXPECT_EQ(slabs.size(), 6u) << "band " << band;
    }
    if (band == 10) {
      EXPECT_EQ(slabs.size(), 4u);
    }
    if (band == 100) {
      EXPECT_EQ(slabs.size(), 1u);
    }
    // Same windows, same order, same sums: equal to the bit.
    EXPECT_TRUE(at::cat(slabs, 1).equal(whole)) << "band " << band;
  }
}

TEST(SlidingWindowSlabs, TwoDimensionalSlicesAndPaddedVolumes) {
  torch::manual_seed(3);
  const WindowFn twice = [](const at::Tensor& b) { return b * 2; };
  const at::Tensor thin = at::randn({1, 5, 4, 3});  // smaller than the patch: padded
  const SlidingWindowOptions o3{{8, 8, 8}, 0.5, 2, 3};
  std::vector<at::Tensor> slabs;
  sliding_window_slabs(thin, 1, o3, 0, twice,
                       [&](int64_t, const at::Tensor& s) { slabs.push_back(s); });
  EXPECT_TRUE(at::allclose(at::cat(slabs, 1), thin * 2, 1e-5, 1e-6));

  slabs.clear();
  const at::Tensor stack = at::randn({1, 6, 9, 10});
  const SlidingWindowOptions o2{{5, 5, 1}, 0.5, 4, 2};
  sliding_window_slabs(stack, 1, o2, 2, twice,
                       [&](int64_t, const at::Tensor& s) { slabs.push_back(s); });
  EXPECT_EQ(slabs.size(), 3u);  // 6 slices, 2 per band
  EXPECT_TRUE(at::cat(slabs, 1).equal(sliding_window(stack, 1, o2, twice)));
}

TEST(MemoryBudget, WholeVolumeEstimateAndBandFollowTheSizes) {
  PreparedCase pc;
  pc.image = at::zeros({1, 10, 10, 10});
  pc.original_size = {10, 10, 20};  // (x, y, z)
  pc.geometry.spacing = {1, 1, 1};
  pc.original_geometry.spacing = {1, 1, 0.5};
  const SlidingWindowOptions o{{8, 8, 8}, 0.5, 2, 3};
  // 2 classes x 4 bytes x (2 x 1000 plan voxels + 2 x 2000 original voxels).
  EXPECT_DOUBLE_EQ(whole_volume_bytes(pc, 2, o), 4.0 * 2 * (2000 + 4000));
  // Per plan row: 4 x ((2 + 1) x 100 + 3 x 2 x 100 + 2 x (3 x 2 x 100 + 2 x 2 x 100)) = 11600.
  EXPECT_EQ(band_rows_for_budget(pc, 2, o, 11600.0 * 9), 9);
  EXPECT_EQ(band_rows_for_budget(pc, 2, o, 1.0), 8);  // never less than the window
}

class SlabWisePrediction : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("unetx-slabs-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  InferenceModel model(int dims, const std::array<int64_t, 3>& patch, bool crop = false,
                       const std::string& orientation = "native") {
    Plan plan;
    plan.orientation = orientation;
    plan.crop_to_nonzero = crop;
    plan.spatial_dims = dims;
    plan.patch_size = patch;
    plan.target_spacing = {1.0, 1.0, 1.5};
    plan.labels = {"background", "a", "b"};
    torch::manual_seed(4);
    auto net = models::make_model(models::model_config("unet", 1, 3, dims, {"features=4,8"}));
    models::CheckpointMeta meta;
    meta.plan = plan.to_json();
    const fs::path file = dir_ / ("unet" + std::to_string(dims) + ".ckpt");
    models::save_checkpoint(file, *net, meta);
    return load_inference_model(file);
  }

  // Random voxels, z spacing 2.5 (-> 22 plan rows); with `margin`, zero outside the box
  // x 3..14, y 2..12, z 1..11, which a cropping plan cuts away.
  static io::Volume image(bool margin = false) {
    torch::manual_seed(12);
    io::Volume v;
    v.data = at::randn({1, 13, 14, 16});
    if (margin) {
      at::Tensor inside = at::zeros_like(v.data);
      inside.slice(1, 1, 12).slice(2, 2, 13).slice(3, 3, 15).fill_(1);
      v.data = v.data * inside;
    }
    v.geometry.spacing = {1.0, 1.0, 2.5};
    return v;
  }

  // Whole volume vs a budget of one byte (the smallest band: one window row per slab).
  void expect_same(InferenceModel& m, const InferenceOptions& base, int min_slabs,
                   bool margin = false) {
    const CasePrediction whole = predict_case(m, "c", image(margin), base);
    InferenceOptions bounded = base;
    bounded.memory_budget_gb = 1e-9;
    bounded.keep_probabilities = true;
    const CasePrediction slabs = predict_case(m, "c", image(margin), bounded);
    EXPECT_EQ(whole.slabs, 0);
    EXPECT_GE(slabs.slabs, min_slabs);
    EXPECT_FALSE(slabs.probs.defined());
    ASSERT_EQ(slabs.probs_original.sizes(), whole.probs_original.sizes());
    EXPECT_LT((slabs.probs_original - whole.probs_original).abs().max().item<double>(), 1e-5);
    EXPECT_TRUE(slabs.labels.data.equal(whole.labels.data));
    EXPECT_GT(whole.labels.data.max().item<int>(), 0);  // more than one class to get right
    bounded.keep_probabilities = false;
    const CasePrediction lean = predict_case(m, "c", image(margin), bounded);
    EXPECT_FALSE(lean.probs_original.defined());
    EXPECT_TRUE(lean.labels.data.equal(whole.labels.data));
  }

  fs::path dir_;
};

TEST_F(SlabWisePrediction, TinyBudgetGivesTheWholeVolumeResult3d) {
  InferenceModel m = model(3, {8, 8, 8});
  InferenceOptions o;
  expect_same(m, o, 4);  // 22 plan rows, windows of 8 rows every 4 or 5 rows
  o.tta = MirrorAxes::parse("xz");
  o.postprocess.largest_component = true;
  expect_same(m, o, 4);
}

TEST_F(SlabWisePrediction, TinyBudgetGivesTheWholeVolumeResult2d) {
  InferenceModel m = model(2, {8, 8, 1});
  expect_same(m, InferenceOptions{}, 13);  // one slab per slice
}

TEST_F(SlabWisePrediction, CroppingPlanIsBackgroundOutsideTheBoxOnBothPaths) {
  InferenceModel m = model(3, {8, 8, 8}, /*crop=*/true);
  expect_same(m, InferenceOptions{}, 3, /*margin=*/true);
  InferenceOptions o;
  o.memory_budget_gb = 1e-9;
  o.keep_probabilities = true;
  const CasePrediction p = predict_case(m, "c", image(true), o);
  EXPECT_EQ(p.prepared.crop.size, (std::array<int64_t, 3>{12, 11, 11}));
  EXPECT_EQ(p.labels.data.slice(1, 0, 1).max().item<int>(), 0);  // z = 0: outside
  EXPECT_EQ(p.probs_original[0][12].min().item<float>(), 1.0f);  // z = 12: outside
  EXPECT_EQ(p.probs_original.slice(0, 1).slice(1, 12).max().item<float>(), 0.0f);
}

// The same head stored with other axes (here x <-> z swapped, y reversed) gets the same
// prediction, put back on its own axes, on both the whole-volume and the slab-wise path.
TEST_F(SlabWisePrediction, StoredAxesDoNotChangeThePrediction) {
  InferenceModel m = model(3, {8, 8, 8}, /*crop=*/true, "LPS");
  const io::Volume canonical = image(/*margin=*/true);
  AxisMap stored_axes;
  stored_axes.from = {2, 1, 0};
  stored_axes.flip = {false, true, false};
  const io::Volume stored = reorient(canonical, stored_axes);
  ASSERT_EQ(canonical_axes(stored.geometry), stored_axes);  // its own inverse
  // Whole volume; slab-wise in memory; slab-wise in a scratch mapping (--save-probabilities).
  for (int path = 0; path < 3; ++path) {
    const double budget = path == 0 ? 0.0 : 1e-9;
    InferenceOptions o;
    o.memory_budget_gb = budget;
    o.keep_probabilities = true;
    if (path == 2) o.probabilities_scratch_dir = dir_;
    const CasePrediction a = predict_case(m, "c", canonical, o);
    const CasePrediction b = predict_case(m, "c", stored, o);
    EXPECT_EQ(b.slabs > 0, budget > 0);
    EXPECT_TRUE(b.labels.geometry.same_as(stored.geometry));
    EXPECT_TRUE(b.labels.data.equal(reorient_data(a.labels.data, stored_axes)));
    EXPECT_LT((b.probs_original - reorient_data(a.probs_original, stored_axes))
                  .abs().max().item<double>(), 1e-6);
    EXPECT_GT(a.labels.data.max().item<int>(), 0);
  }
  // The scratch file never had a name: nothing is left in the folder.
  for (const auto& entry : fs::directory_iterator(dir_))
    EXPECT_EQ(entry.path().extension(), ".ckpt") << entry.path();
}

TEST_F(SlabWisePrediction, GenerousBudgetKeepsTheWholeVolumePath) {
  InferenceModel m = model(3, {8, 8, 8});
  InferenceOptions o;
  o.memory_budget_gb = 1.0;
  const CasePrediction p = predict_case(m, "c", image(), o);
  EXPECT_EQ(p.slabs, 0);
  EXPECT_TRUE(p.probs.defined());
}

}  // namespace
}  // namespace unetx::pipeline
