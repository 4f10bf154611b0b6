// Cohort manifests: CSV, MSD dataset.json and folder scans resolve paths and refuse bad input
// with the file and case named.
#include <gtest/gtest.h>

#include "io/error.h"
#include "io/manifest.h"
#include "temp_dir.h"

namespace unetx::io {
namespace {

using test::TempDir;
using test::write_file;

// check_cohort only needs the files to exist, so fixtures are empty placeholders.
void touch(const fs::path& p) { write_file(p, "x"); }

// Runs `f`, expects unetx::Error, and checks every `parts` string occurs in its message.
template <typename F>
void expect_error(F f, const std::vector<std::string>& parts) {
  try {
    f();
    FAIL() << "expected unetx::Error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    for (const auto& part : parts) EXPECT_NE(msg.find(part), std::string::npos) << msg;
  }
}

TEST(Manifest, CsvResolvesQuotedRelativePathsAgainstManifestFolder) {
  TempDir dir;
  touch(dir / "data/imgs/a b.nii.gz");
  touch(dir / "data/labels/a.nii.gz");
  touch(dir / "abs.nii.gz");
  write_file(dir / "data/cohort.csv",
             "case_id,image,label,group\r\n"
             "a,\"imgs/a b.nii.gz\",labels/a.nii.gz,\"ctrl, young\"\r\n"
             "\r\n"
             "b," +
                 (dir / "abs.nii.gz").string() + ",,patient\r\n");
  const Cohort c = read_cohort(dir / "data/cohort.csv");
  EXPECT_EQ(c.source, dir / "data/cohort.csv");
  ASSERT_EQ(c.cases.size(), 2u);
  EXPECT_EQ(c.cases[0].id, "a");
  ASSERT_EQ(c.cases[0].images.size(), 1u);
  EXPECT_EQ(c.cases[0].images[0], dir / "data/imgs/a b.nii.gz");
  ASSERT_TRUE(c.cases[0].label.has_value());
  EXPECT_EQ(*c.cases[0].label, dir / "data/labels/a.nii.gz");
  EXPECT_EQ(c.cases[0].extra.at("group"), "ctrl, young");
  EXPECT_EQ(c.cases[1].images[0], dir / "abs.nii.gz");
  EXPECT_FALSE(c.cases[1].label.has_value());
  EXPECT_EQ(c.cases[1].extra.size(), 1u);
}

TEST(Manifest, CsvMultiChannelColumnsKeepOrder) {
  TempDir dir;
  for (const char* f : {"t1.nii.gz", "t2.nii.gz", "flair.nii.gz"}) touch(dir / f);
  write_file(dir / "m.csv",
             "image_1,case_id,site,image_0,image_2\nt2.nii.gz,p1,A,t1.nii.gz,flair.nii.gz\n");
  const Cohort c = read_cohort(dir / "m.csv");
  ASSERT_EQ(c.cases.size(), 1u);
  EXPECT_EQ(c.cases[0].images,
            (std::vector<fs::path>{dir / "t1.nii.gz", dir / "t2.nii.gz", dir / "flair.nii.gz"}));
  EXPECT_EQ(c.cases[0].extra, (std::map<std::string, std::string>{{"site", "A"}}));
}

TEST(Manifest, MsdDatasetJsonTrainingAndTest) {
  TempDir dir;
  touch(dir / "imagesTr/la_003.nii.gz");
  touch(dir / "labelsTr/la_003.nii.gz");
  touch(dir / "imagesTr/br_001_0000.nii.gz");
  touch(dir / "imagesTr/br_001_0001.nii.gz");
  touch(dir / "imagesTs/la_010.nii.gz");
  write_file(dir / "dataset.json", R"({
    "name": "Heart", "numTraining": 2,
    "training": [
      {"image": "./imagesTr/la_003.nii.gz", "label": "./labelsTr/la_003.nii.gz"},
      {"image": ["./imagesTr/br_001_0000.nii.gz", "./imagesTr/br_001_0001.nii.gz"]}
    ],
    "test": ["./imagesTs/la_010.nii.gz"]
  })");
  const Cohort tr = read_cohort(dir / "dataset.json");
  ASSERT_EQ(tr.cases.size(), 2u);
  EXPECT_EQ(tr.cases[0].id, "la_003");
  EXPECT_EQ(tr.cases[0].images[0], dir / "imagesTr/la_003.nii.gz");
  EXPECT_EQ(*tr.cases[0].label, dir / "labelsTr/la_003.nii.gz");
  EXPECT_EQ(tr.cases[1].images.size(), 2u);
  EXPECT_FALSE(tr.cases[1].label.has_value());

  const Cohort ts = read_cohort(dir / "dataset.json", "test");
  ASSERT_EQ(ts.cases.size(), 1u);
  EXPECT_EQ(ts.cases[0].id, "la_010");
  EXPECT_EQ(ts.cases[0].images[0], dir / "imagesTs/la_010.nii.gz");

  expect_error([&] { read_cohort(dir / "dataset.json", "validation"); },
               {(dir / "dataset.json").string(), "validation"});
}

TEST(Manifest, FolderScanSortsImagesAndIgnoresOthers) {
  TempDir dir;
  for (const char* f : {"b.nii.gz", "a.nii", "c.mha", "d.nrrd", ".hidden.nii.gz",
                        ".tmp-1-0-e.nii.gz", "notes.txt", "e.nii.gz.bak"}) {
    touch(dir / f);
  }
  fs::create_directories(dir / "sub.nii.gz");  // a folder, not an image
  const Cohort c = read_cohort(dir.path());
  std::vector<std::string> ids;
  for (const auto& k : c.cases) ids.push_back(k.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"a", "b", "c", "d"}));
  EXPECT_EQ(c.cases[2].images[0], dir / "c.mha");
}

TEST(Manifest, BadInputsThrowNamingFileAndCase) {
  TempDir dir;
  touch(dir / "a.nii.gz");
  const auto m = dir / "m.csv";
  const std::string ms = m.string();

  expect_error([&] { read_cohort(dir / "missing.csv"); }, {(dir / "missing.csv").string()});

  write_file(m, "case_id,image\na,a.nii.gz\na,a.nii.gz\n");
  expect_error([&] { read_cohort(m); }, {ms, "duplicate", "'a'"});

  write_file(m, "case_id,image\n../evil,a.nii.gz\n");
  expect_error([&] { read_cohort(m); }, {ms, "../evil"});

  write_file(m, "case_id,image\n");
  expect_error([&] { read_cohort(m); }, {ms, "no cases"});
  write_file(m, "");
  expect_error([&] { read_cohort(m); }, {ms});

  write_file(m, "case_id,path\na,a.nii.gz\n");
  expect_error([&] { read_cohort(m); }, {ms, "image"});
  write_file(m, "id,image\na,a.nii.gz\n");
  expect_error([&] { read_cohort(m); }, {ms, "case_id"});

  // Missing files do not stop the cohort: they are listed per case.
  write_file(m, "case_id,image,label\nk7,gone.nii.gz,\nk8,a.nii.gz,lab.nii.gz\n");
  const Cohort with_missing = read_cohort(m);
  ASSERT_EQ(with_missing.cases.size(), 2u);
  EXPECT_EQ(missing_files(with_missing.cases[0]), std::vector<fs::path>{dir / "gone.nii.gz"});
  EXPECT_TRUE(missing_files(with_missing.cases[1]).empty());
  EXPECT_EQ(missing_files(with_missing.cases[1], true), std::vector<fs::path>{dir / "lab.nii.gz"});

  write_file(m, "case_id,image\na,a.nii.gz\nb\n");
  expect_error([&] { read_cohort(m); }, {ms, "line 3"});

  fs::create_directories(dir / "emptydir");
  expect_error([&] { read_cohort(dir / "emptydir"); }, {(dir / "emptydir").string(), "no cases"});

  write_file(dir / "bad.json", "{\"training\": [");
  expect_error([&] { read_cohort(dir / "bad.json"); }, {(dir / "bad.json").string()});
}

TEST(Manifest, ValidateCaseId) {
  EXPECT_NO_THROW(validate_case_id("BraTS_001-t1.v2"));
  const std::vector<std::string> bad_ids{
      "", "a/b", "a\\b", "..", "x..y", "tab\there", std::string("nul\0x", 5)};
  for (const std::string& bad : bad_ids) {
    EXPECT_THROW(validate_case_id(bad), Error) << bad;
  }
}

TEST(Manifest, WriteAndReadManifestRoundTrip) {
  TempDir dir;
  std::vector<ManifestRow> rows(2);
  rows[0].case_id = "a";
  rows[0].columns = {{"mask", "a.nii.gz"}, {"prob", "a_prob.nii.gz"}};
  rows[1].case_id = "b";
  rows[1].columns = {{"mask", ""}};
  rows[1].status = "failed: cannot read image: bad, \"quoted\" header";
  write_manifest(dir / "out", {"mask", "prob"}, rows);
  ASSERT_TRUE(fs::exists(dir / "out/manifest.csv"));
  const auto back = read_manifest(dir / "out/manifest.csv");
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].case_id, "a");
  EXPECT_EQ(back[0].columns, rows[0].columns);
  EXPECT_EQ(back[0].status, "ok");
  EXPECT_EQ(back[1].columns.at("prob"), "");
  EXPECT_EQ(back[1].status, rows[1].status);
}

}  // namespace
}  // namespace unetx::io
