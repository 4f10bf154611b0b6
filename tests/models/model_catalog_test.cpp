#include "models/model_catalog.h"

#include <gtest/gtest.h>

#include "models/registry.h"

namespace unetx::models {
namespace {

TEST(ModelCatalog, ListsEveryModelWithSizeCostAndTaps) {
  const auto rows = summarize_models({1, 1, 32, 32, 32}, 2, {{"features", {8, 16, 32, 64}}});
  ASSERT_EQ(rows.size(), model_names().size());
  for (const auto& r : rows) {
    EXPECT_GT(r.parameters, 0) << r.name;
    EXPECT_GT(r.gflops, 0.0) << r.name;
    EXPECT_FALSE(r.taps.empty()) << r.name;
    EXPECT_EQ(r.config.at("dims"), 3) << r.name;
    const auto j = to_json(r);
    EXPECT_EQ(j.at("extra_parameters_vs_unet"), r.parameters - r.unet_parameters);
    if (r.name == "unet") {
      EXPECT_EQ(r.parameters, r.unet_parameters);
      EXPECT_EQ(r.config.at("features"), (std::vector<int64_t>{8, 16, 32, 64}));
    }
    if (r.name == "unet_se_baseline") {
      EXPECT_EQ(r.config.at("features"), (std::vector<int64_t>{32, 64, 128, 256}));
    }
    if (r.name == "eunet") {
      EXPECT_GT(r.parameters, r.unet_parameters);
      EXPECT_LT(r.parameters - r.unet_parameters, 100000);
    }
  }
  EXPECT_THROW(summarize_models({1, 1, 32}, 2), std::invalid_argument);
}

}  // namespace
}  // namespace unetx::models
