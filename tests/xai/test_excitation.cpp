#include <gtest/gtest.h>

#include "io/error.h"
#include "models/unet.h"
#include "tests/io/temp_dir.h"
#include "xai/excitation.h"

namespace unetx::xai {
namespace {

TEST(LinearExcitationThreshold, CountsEigenvaluesUpToTheEnergyFraction) {
  // Eigenvalues 4, 3, 2, 1 (total 10): cumulative 0.4, 0.7, 0.9, 1.0.
  const at::Tensor d = torch::diag(torch::tensor({1.0, 4.0, 2.0, 3.0}, at::kDouble));
  EXPECT_EQ(linear_excitation_threshold(d, 0.95), 4);
  EXPECT_EQ(linear_excitation_threshold(d, 0.9), 3);
  EXPECT_EQ(linear_excitation_threshold(d, 0.7), 2);
  EXPECT_EQ(linear_excitation_threshold(d, 0.3), 1);
  // A rotation changes the axes, not the spectrum.
  torch::manual_seed(0);
  const at::Tensor q = std::get<0>(at::linalg_qr(torch::randn({4, 4}, at::kDouble)));
  EXPECT_EQ(linear_excitation_threshold(q.mm(d).mm(q.t()), 0.9), 3);
  EXPECT_EQ(linear_excitation_threshold(at::zeros({3, 3}, at::kDouble)), 0);
}

TEST(ExcitationStats, MeanVarianceAndOneDirection) {
  // Vectors (1,2), (3,2), (5,2): mean (3, 2), population variance (8/3, 0); all the spread is
  // along the first channel, so one component explains everything.
  ExcitationStats s;
  s.add(torch::tensor({1.0, 2.0, 3.0, 2.0}).view({2, 2}));
  ExcitationStats other;
  other.add(torch::tensor({5.0, 2.0}).view({1, 2}));
  s.merge(other);
  EXPECT_EQ(s.count, 3);
  EXPECT_TRUE(at::allclose(s.mean(), torch::tensor({3.0, 2.0}, at::kDouble)));
  EXPECT_TRUE(at::allclose(s.variance(), torch::tensor({8.0 / 3.0, 0.0}, at::kDouble), 1e-9, 1e-9));
  EXPECT_EQ(linear_excitation_threshold(s.covariance()), 1);
}

TEST(Excitations, CollectedFromAChannelSEUNetSavedAndReported) {
  torch::manual_seed(1);  // the weights too: the threshold depends on how the gates vary
  auto net = models::make_unet(models::UNetOptions(1, 2).dims(2).features({4, 8}).se("cse"));
  net->eval();
  ASSERT_TRUE(has_channel_excitations(*net));
  ExcitationTable table;
  collect_excitations(*net, torch::randn({3, 1, 8, 8}), table);
  ASSERT_EQ(table.count("se.0"), 1u);
  EXPECT_EQ(table.at("se.0").count, 3);
  EXPECT_EQ(table.at("se.0").sum.numel(), 4);
  EXPECT_TRUE(net->taps().empty());

  const unetx::test::TempDir dir;
  save_excitations(table, dir.path() / "case_excitations.pt");
  const ExcitationTable back = load_excitations(dir.path() / "case_excitations.pt");
  ASSERT_EQ(back.size(), table.size());
  EXPECT_TRUE(at::allclose(back.at("se.0").outer, table.at("se.0").outer));
  EXPECT_EQ(back.at("se.0").count, 3);

  const nlohmann::json report = excitation_report(back);
  EXPECT_EQ(report["stages"]["se.0"]["channels"], 4);
  EXPECT_EQ(report["stages"]["se.0"]["mean"].size(), 4u);
  const int k = report["stages"]["se.0"]["linear_excitation_threshold"];
  EXPECT_GE(k, 1);
  EXPECT_LE(k, 2);  // three samples span at most two directions around their mean
  EXPECT_THROW(load_excitations(dir.path() / "missing.pt"), Error);
}

}  // namespace
}  // namespace unetx::xai
