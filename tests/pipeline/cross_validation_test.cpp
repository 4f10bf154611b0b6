// Cross-validation splits: every case validated exactly once, balanced folds, strata spread
// evenly, the file reused and guarded against a different cohort or fold count.
#include "pipeline/cross_validation.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "io/error.h"
#include "io/json_file.h"

namespace unetx::pipeline {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> case_ids(int n) {
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) ids.push_back("case" + std::to_string(i));
  return ids;
}

TEST(CrossValidation, EveryCaseValidatedOnceAndFoldsBalanced) {
  const auto ids = case_ids(11);
  const Folds folds = make_folds(ids, 5, 7);
  ASSERT_EQ(folds.count(), 5);
  std::multiset<std::string> seen;
  for (const auto& v : folds.val) {
    // 11 cases over 5 folds: sizes 3, 2, 2, 2, 2 in some order.
    EXPECT_TRUE(v.size() == 2 || v.size() == 3);
    seen.insert(v.begin(), v.end());
  }
  EXPECT_EQ(seen, std::multiset<std::string>(ids.begin(), ids.end()));
  for (int k = 0; k < 5; ++k) {
    const Split s = folds.split(k);
    EXPECT_EQ(s.train.size() + s.val.size(), ids.size());
    for (const auto& id : s.val)
      EXPECT_FALSE(std::binary_search(s.train.begin(), s.train.end(), id)) << id;
  }
}

TEST(CrossValidation, SameSeedSameFoldsOtherSeedOtherFolds) {
  const auto ids = case_ids(20);
  EXPECT_EQ(make_folds(ids, 4, 1).val, make_folds(ids, 4, 1).val);
  EXPECT_NE(make_folds(ids, 4, 1).val, make_folds(ids, 4, 2).val);
}

TEST(CrossValidation, StrataSpreadEvenlyOverFolds) {
  // 12 cases: 8 of site A, 4 of site B; 4 folds -> every fold holds 2 A and 1 B.
  const auto ids = case_ids(12);
  std::map<std::string, std::string> site;
  for (int i = 0; i < 12; ++i) site[ids[i]] = i < 8 ? "A" : "B";
  const Folds folds = make_folds(ids, 4, 3, site, "site");
  EXPECT_EQ(folds.stratify, "site");
  for (const auto& v : folds.val) {
    const auto a = std::count_if(v.begin(), v.end(), [&](const auto& id) { return site[id] == "A"; });
    EXPECT_EQ(a, 2);
    EXPECT_EQ(v.size(), 3u);
  }
}

TEST(CrossValidation, RefusesTooFewCasesAndUnknownFold) {
  EXPECT_THROW(make_folds(case_ids(3), 5, 0), Error);
  EXPECT_THROW(make_folds(case_ids(3), 1, 0), Error);
  EXPECT_THROW(make_folds(case_ids(6), 3, 0).split(3), Error);
  std::map<std::string, std::string> partial{{"case0", "A"}};
  EXPECT_THROW(make_folds(case_ids(4), 2, 0, partial, "site"), Error);
}

TEST(CrossValidation, FileIsWrittenReusedAndGuarded) {
  const fs::path dir = fs::temp_directory_path() / ("unetx_cv_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path file = dir / "splits.json";
  const auto ids = case_ids(10);
  const Folds made = load_or_make_folds(file, ids, 5, 11);
  ASSERT_TRUE(fs::exists(file));
  const auto j = io::read_json(file);
  ASSERT_EQ(j["folds"].size(), 5u);
  EXPECT_EQ(j["folds"][2]["val"].get<std::vector<std::string>>(), made.val[2]);
  EXPECT_EQ(j["folds"][2]["train"].get<std::vector<std::string>>(), made.split(2).train);
  // Reused even when asked with another seed: a study keeps its splits.
  EXPECT_EQ(load_or_make_folds(file, ids, 5, 99).val, made.val);
  EXPECT_THROW(load_or_make_folds(file, ids, 4, 11), Error);
  EXPECT_THROW(load_or_make_folds(file, case_ids(9), 5, 11), Error);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace unetx::pipeline
