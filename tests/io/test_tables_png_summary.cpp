// CSV quoting, JSON, PNG and AtomicFile behaviour, and the `unetx info` summary.
#include <gtest/gtest.h>

#include "io/atomic_file.h"
#include "io/csv.h"
#include "io/error.h"
#include "io/image_summary.h"
#include "io/json_file.h"
#include "io/png.h"
#include "temp_dir.h"

namespace unetx::io {
namespace {

using test::TempDir;

TEST(AtomicFile, TempPathSitsBesideFinalAndEndsWithItsName) {
  TempDir dir;
  AtomicFile f(dir / "sub" / "case1.nii.gz");
  EXPECT_TRUE(fs::is_directory(dir / "sub"));
  EXPECT_EQ(f.temp_path().parent_path(), dir / "sub");
  const std::string name = f.temp_path().filename().string();
  EXPECT_EQ(name.rfind(".tmp-", 0), 0u);
  EXPECT_EQ(name.substr(name.size() - 12), "case1.nii.gz");
  AtomicFile g(dir / "sub" / "case1.nii.gz");
  EXPECT_NE(f.temp_path(), g.temp_path());
}

TEST(AtomicFile, UncommittedTempIsRemovedAndFinalAppearsOnlyOnCommit) {
  TempDir dir;
  fs::path temp;
  {
    AtomicFile f(dir / "a.txt");
    temp = f.temp_path();
    test::write_file(temp, "partial");
  }
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_FALSE(fs::exists(dir / "a.txt"));

  AtomicFile f(dir / "b.txt");
  test::write_file(f.temp_path(), "done");
  EXPECT_FALSE(fs::exists(dir / "b.txt"));
  f.commit();
  EXPECT_TRUE(is_complete_file(dir / "b.txt"));
  EXPECT_FALSE(fs::exists(f.temp_path()));

  AtomicFile nothing(dir / "c.txt");
  EXPECT_THROW(nothing.commit(), Error);
}

TEST(AtomicFile, WriteTextAndCompleteness) {
  TempDir dir;
  write_text_atomic(dir / "x/y.txt", "hello");
  EXPECT_TRUE(is_complete_file(dir / "x/y.txt"));
  EXPECT_EQ(fs::file_size(dir / "x/y.txt"), 5u);
  test::write_file(dir / "empty", "");
  EXPECT_FALSE(is_complete_file(dir / "empty"));
  // A folder output (a DICOM series) is complete once it holds anything: it is renamed into
  // place only when written.
  EXPECT_TRUE(is_complete_file(dir / "x"));
  fs::create_directories(dir / "empty_folder");
  EXPECT_FALSE(is_complete_file(dir / "empty_folder"));
  EXPECT_FALSE(is_complete_file(dir / "missing"));
}

TEST(Csv, QuotingRoundTrip) {
  TempDir dir;
  CsvTable t;
  t.header = {"case_id", "note", "path"};
  t.rows = {{"a", "comma, inside", "p/a.nii.gz"},
            {"b", "say \"hi\"", ""},
            {"c", "two\nlines", " padded "},
            {"d", "", "crlf\r\nin cell"}};
  write_csv(dir / "t.csv", t);
  const CsvTable back = read_csv(dir / "t.csv");
  EXPECT_EQ(back.header, t.header);
  EXPECT_EQ(back.rows, t.rows);
  EXPECT_EQ(back.column("path"), 2);
  EXPECT_EQ(back.column("nope"), -1);
  EXPECT_EQ(format_csv(t).substr(0, 36), "case_id,note,path\na,\"comma, inside\",");
}

TEST(Csv, ParsesCrlfBomBlankLinesAndRejectsRaggedRows) {
  const CsvTable t = parse_csv(
      "\xEF\xBB\xBF"
      "id,v\r\n\r\n1,\"x\"\"y\"\r\n2,\r\n\n",
      "mem");
  EXPECT_EQ(t.header, (std::vector<std::string>{"id", "v"}));
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0][1], "x\"y");
  EXPECT_EQ(t.rows[1][1], "");
  try {
    parse_csv("a,b\n1,2\n\n\"multi\nline\",2,3\n", "ragged.csv");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.subject(), "ragged.csv");
    EXPECT_NE(e.reason().find("line 4"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_csv("a,b\n\"open,1\n", "q.csv"), Error);
  EXPECT_THROW(write_csv("/nonexistent-unused/x.csv", CsvTable{{"a"}, {{"1", "2"}}}), Error);
}

TEST(Json, RoundTripAndParseErrorNamesFile) {
  TempDir dir;
  const nlohmann::json j = {{"spacing", {1.5, 1.5, 3.0}}, {"name", "plan"}};
  write_json(dir / "plan.json", j);
  EXPECT_EQ(read_json(dir / "plan.json"), j);
  test::write_file(dir / "bad.json", "{\n  \"a\": 1,\n  oops\n}");
  try {
    read_json(dir / "bad.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.subject(), (dir / "bad.json").string());
    EXPECT_NE(e.reason().find("line 3"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_json(dir / "none.json"), Error);
}

TEST(Png, RgbAndGrayRoundTrip) {
  TempDir dir;
  const int w = 7, h = 5;
  std::vector<uint8_t> rgb(w * h * 3), gray(w * h);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      uint8_t* p = &rgb[(y * w + x) * 3];
      p[0] = static_cast<uint8_t>(x * 30);
      p[1] = static_cast<uint8_t>(y * 50);
      p[2] = static_cast<uint8_t>((x * 7 + y * 13) % 256);
      gray[y * w + x] = static_cast<uint8_t>(x * 36 + y);
    }
  }
  write_png_rgb(dir / "rgb.png", w, h, rgb);
  int rw = 0, rh = 0;
  EXPECT_EQ(read_png_rgb(dir / "rgb.png", rw, rh), rgb);
  EXPECT_EQ(rw, w);
  EXPECT_EQ(rh, h);

  write_png_gray(dir / "gray.png", w, h, gray);
  const auto back = read_png_rgb(dir / "gray.png", rw, rh);
  ASSERT_EQ(back.size(), rgb.size());
  for (int i = 0; i < w * h; ++i) {
    EXPECT_EQ(back[i * 3], gray[i]);
    EXPECT_EQ(back[i * 3 + 2], gray[i]);
  }
  EXPECT_THROW(write_png_rgb(dir / "bad.png", w, h, gray), Error);
  EXPECT_FALSE(fs::exists(dir / "bad.png"));
  test::write_file(dir / "fake.png", "not a png");
  EXPECT_THROW(read_png_rgb(dir / "fake.png", rw, rh), Error);
}

TEST(ImageSummary, KnownTensor) {
  Volume v;
  v.data = at::arange(24, at::kShort).reshape({2, 3, 2, 2}) - 4;  // -4 .. 19
  v.geometry.spacing = {0.5, 0.5, 2.0};
  v.geometry.direction = {0, 1, 0, 1, 0, 0, 0, 0, -1};
  v.meta["pixel_type"] = "int16";
  const ImageSummary s = summarize(v);
  EXPECT_EQ(s.size, (Size3{2, 2, 3}));
  EXPECT_EQ(s.channels, 2);
  EXPECT_DOUBLE_EQ(s.min, -4);
  EXPECT_DOUBLE_EQ(s.max, 19);
  EXPECT_DOUBLE_EQ(s.mean, 7.5);
  const nlohmann::json j = to_json(s);
  EXPECT_EQ(j["size"], nlohmann::json({2, 2, 3}));
  EXPECT_EQ(j["direction"][2], nlohmann::json({0.0, 0.0, -1.0}));
  EXPECT_EQ(j["pixel_type"], "int16");
  const std::string text = to_text(s);
  EXPECT_NE(text.find("2 x 2 x 3"), std::string::npos) << text;
  EXPECT_NE(text.find("min -4, max 19, mean 7.5"), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 9) << text;
  EXPECT_THROW(summarize(Volume{}), Error);
}

}  // namespace
}  // namespace unetx::io
