// Contract tests every network of the zoo passes, in 2-D and 3-D: output shape, gradients reach
// every parameter, the checkpoint round-trip reproduces outputs, the config rebuilds the same
// network, taps match tap_names and the FLOP count is positive.
#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "models/checkpoint.h"
#include "models/flops.h"
#include "models/registry.h"

namespace unetx::models {
namespace {

namespace fs = std::filesystem;

struct ZooCase {
  std::string label;
  nlohmann::json config;  // dims filled in by the test
};

std::vector<ZooCase> zoo_cases() {
  const nlohmann::json base = {{"in_channels", 1}, {"num_classes", 3}, {"features", {4, 8, 16}}};
  std::vector<ZooCase> cases;
  auto add = [&](const std::string& label, nlohmann::json extra) {
    nlohmann::json c = base;
    for (auto& item : extra.items()) c[item.key()] = item.value();
    for (int dims : {2, 3}) {
      c["dims"] = dims;
      cases.push_back({label + "_" + std::to_string(dims) + "d", c});
    }
  };
  add("unet", {{"name", "unet"}});
  for (const char* se : {"cse", "sse", "scse", "srm", "fca", "monofractal"}) {
    add(std::string("unet_") + se, {{"name", "unet"}, {"se", se}});
  }
  add("unetpp", {{"name", "unetpp"}});
  add("unetpp_no_ds", {{"name", "unetpp"}, {"deep_supervision", false}});
  add("unetpp_scse", {{"name", "unetpp"}, {"se", "scse"}, {"upsample", "interpolate"}});
  add("eunet", {{"name", "eunet"}, {"mhex_channels", 4}});
  add("eunet_fca", {{"name", "eunet"}, {"se", "fca"}, {"norm", "batch"}});
  add("udtransnet", {{"name", "udtransnet"}, {"layers", 2}});
  add("udtransnet_srm", {{"name", "udtransnet"}, {"layers", 1}, {"heads", 2}, {"se", "srm"}});
  return cases;
}

class Zoo : public ::testing::TestWithParam<ZooCase> {
 protected:
  static torch::Tensor input(int dims) {
    return dims == 2 ? torch::randn({2, 1, 16, 16}) : torch::randn({2, 1, 8, 8, 8});
  }
  int dims() const { return GetParam().config.at("dims").get<int>(); }
};

TEST_P(Zoo, OutputIsBatchByClassesBySameSpatialSize) {
  torch::manual_seed(0);
  auto model = make_model(GetParam().config);
  EXPECT_EQ(model->spatial_dims(), dims());
  const auto x = input(dims());
  const auto y = model->forward(x);
  auto expected = x.sizes().vec();
  expected[1] = 3;
  EXPECT_EQ(y.sizes().vec(), expected);
  EXPECT_TRUE(torch::isfinite(y).all().item<bool>());
  for (const auto& out : model->forward_deep_supervision(x)) {
    EXPECT_EQ(out.sizes().vec(), expected);
  }
}

TEST_P(Zoo, GradientsReachEveryParameter) {
  torch::manual_seed(1);
  auto model = make_model(GetParam().config);
  model->train();
  torch::Tensor loss = torch::zeros({});
  for (const auto& out : model->forward_deep_supervision(input(dims()))) {
    loss = loss + out.pow(2).mean();
  }
  loss.backward();
  for (const auto& p : model->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key() << " gets no gradient";
    EXPECT_TRUE(torch::isfinite(p.value().grad()).all().item<bool>()) << p.key();
    EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0.0) << p.key() << " gradient is 0";
  }
}

TEST_P(Zoo, CheckpointRoundTripGivesIdenticalOutputs) {
  torch::manual_seed(2);
  auto model = make_model(GetParam().config);
  model->eval();
  const fs::path path = fs::temp_directory_path() /
                        ("unetx-zoo-" + std::to_string(::getpid()) + "-" + GetParam().label + ".ckpt");
  save_checkpoint(path, *model, {});
  auto loaded = load_checkpoint(path);
  fs::remove(path);
  EXPECT_EQ(loaded.model->config(), model->config());
  const auto x = input(dims());
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(model->forward(x), loaded.model->forward(x)));
}

TEST_P(Zoo, ConfigRebuildsTheSameNetwork) {
  auto model = make_model(GetParam().config);
  auto rebuilt = make_model(model->config());
  EXPECT_EQ(rebuilt->config(), model->config());
  EXPECT_EQ(parameter_count(*rebuilt), parameter_count(*model));
  auto typo = model->config();
  typo["featurez"] = 3;
  EXPECT_THROW(make_model(typo), std::invalid_argument);
}

TEST_P(Zoo, RecordedTapsAreExactlyTapNames) {
  auto model = make_model(GetParam().config);
  model->eval();
  model->record_taps(true);
  torch::NoGradGuard no_grad;
  model->forward(input(dims()));
  std::set<std::string> recorded, declared;
  for (const auto& [name, t] : model->taps()) recorded.insert(name);
  for (const auto& name : model->tap_names()) declared.insert(name);
  EXPECT_EQ(recorded, declared);
}

TEST_P(Zoo, FlopsArePositiveAndScaleWithBatch) {
  auto model = make_model(GetParam().config);
  auto shape = input(dims()).sizes().vec();
  const double one = forward_flops(*model, shape);
  EXPECT_GT(one, 0.0);
  shape[0] *= 3;
  EXPECT_DOUBLE_EQ(forward_flops(*model, shape), 3 * one);
}

INSTANTIATE_TEST_SUITE_P(Models, Zoo, ::testing::ValuesIn(zoo_cases()),
                         [](const auto& info) { return info.param.label; });

}  // namespace
}  // namespace unetx::models
