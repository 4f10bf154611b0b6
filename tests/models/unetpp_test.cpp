#include "models/unetpp.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/flops.h"
#include "models/registry.h"

namespace unetx::models {
namespace {

UNetPlusPlusOptions tiny(int dims) {
  return UNetPlusPlusOptions(UNetOptions(1, 2).dims(dims).features({4, 8, 16, 32}));
}

// The pruned sub-network UNet++ L^l shares its weights with the full network, so its output is
// the full network's deep-supervision head l (up to float summation order: exactly here).
TEST(UNetPlusPlus, PrunedOutputEqualsThatLevelsDeepSupervisionHead) {
  for (int dims : {2, 3}) {
    torch::manual_seed(4);
    auto model = std::dynamic_pointer_cast<SegmentationModel>(make_unetpp(tiny(dims)));
    auto* unetpp2 = dynamic_cast<UNetPlusPlusImpl<2>*>(model.get());
    auto* unetpp3 = dynamic_cast<UNetPlusPlusImpl<3>*>(model.get());
    auto set_level = [&](int l) {
      if (unetpp2) unetpp2->set_prune_level(l);
      if (unetpp3) unetpp3->set_prune_level(l);
    };
    model->eval();
    torch::NoGradGuard no_grad;
    const auto x = dims == 2 ? torch::randn({1, 1, 16, 16}) : torch::randn({1, 1, 8, 8, 8});
    const auto heads = model->forward_deep_supervision(x);  // {head 3, head 2, head 1}
    ASSERT_EQ(heads.size(), 3u);
    EXPECT_TRUE(torch::allclose(model->forward(x), heads[0], 1e-5, 1e-6));
    for (int l = 1; l <= 3; ++l) {
      set_level(l);
      EXPECT_EQ(model->size_divisor(), int64_t{1} << l);
      EXPECT_TRUE(torch::allclose(model->forward(x), heads[3 - l], 1e-5, 1e-6))
          << dims << "-D, level " << l;
    }
  }
}

TEST(UNetPlusPlus, PrunedNetworkRunsOnlyItsNodes) {
  auto o = tiny(2);
  o.prune_level(1);
  auto model = make_unetpp(o);
  EXPECT_EQ(model->tap_names(), (std::vector<std::string>{"encoder.0", "encoder.1", "node.0.1"}));
  model->record_taps(true);
  model->forward(torch::randn({1, 1, 6, 6}));  // a level-1 network needs only even sizes
  EXPECT_EQ(model->taps().size(), 3u);
  EXPECT_FALSE(model->taps().count("bottleneck"));
  // Fewer nodes, fewer FLOPs: L^1 < L^2 < L^3.
  auto l2 = tiny(2), l3 = tiny(2);
  l2.prune_level(2);
  const std::vector<int64_t> shape = {1, 1, 64, 64};
  const double f1 = forward_flops(*model, shape), f2 = forward_flops(*make_unetpp(l2), shape),
               f3 = forward_flops(*make_unetpp(l3), shape);
  EXPECT_LT(f1, f2);
  EXPECT_LT(f2, f3);
}

TEST(UNetPlusPlus, FullNetworkTapsEveryNestedNode) {
  auto model = make_unetpp(tiny(2));
  int nodes = 0;
  for (const auto& name : model->tap_names()) nodes += name.rfind("node.", 0) == 0;
  EXPECT_EQ(nodes, 6);  // X(0,1..3), X(1,1..2), X(2,1)
}

TEST(UNetPlusPlus, InvalidPruneLevelsAreRefused) {
  auto o = tiny(2);
  EXPECT_THROW(make_unetpp(UNetPlusPlusOptions(o).prune_level(4)), std::invalid_argument);
  EXPECT_THROW(make_unetpp(UNetPlusPlusOptions(o).prune_level(-1)), std::invalid_argument);
  EXPECT_THROW(make_unetpp(UNetPlusPlusOptions(o).deep_supervision(false).prune_level(2)),
               std::invalid_argument);
  EXPECT_NO_THROW(make_unetpp(UNetPlusPlusOptions(o).deep_supervision(false).prune_level(3)));
  UNetPlusPlusImpl<2> model(o);
  EXPECT_THROW(model.set_prune_level(5), std::invalid_argument);
  EXPECT_EQ(model.active_level(), 3) << "a refused level leaves the model unchanged";
}

TEST(UNetPlusPlus, WithoutDeepSupervisionHasOneHead) {
  auto with = make_unetpp(tiny(2));
  auto without = make_unetpp(UNetPlusPlusOptions(tiny(2)).deep_supervision(false));
  // Two 1x1 heads 4 -> 2 fewer: 2 * (4 * 2 + 2) = 20 parameters.
  EXPECT_EQ(parameter_count(*with) - parameter_count(*without), 20);
  EXPECT_EQ(without->forward_deep_supervision(torch::randn({1, 1, 8, 8})).size(), 1u);
}

TEST(UNetPlusPlus, ConfigCarriesItsOwnKeys) {
  auto c = make_unetpp(UNetPlusPlusOptions(tiny(3)).prune_level(2))->config();
  EXPECT_EQ(c.at("name"), "unetpp");
  EXPECT_EQ(c.at("prune_level"), 2);
  EXPECT_EQ(c.at("deep_supervision"), true);
  EXPECT_EQ(make_model(c)->size_divisor(), 4);
}

}  // namespace
}  // namespace unetx::models
