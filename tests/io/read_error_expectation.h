// The contract of every reader on bad input: unetx::Error whose subject is the file, whose
// reason says what is wrong, on one line (it becomes a manifest status and a log line).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "io/error.h"
#include "io/image_io.h"

namespace unetx::io {

inline void expect_read_error(const std::filesystem::path& file, const std::string& reason_part) {
  try {
    read_image(file);
    FAIL() << "expected unetx::Error for " << file;
  } catch (const Error& e) {
    EXPECT_EQ(e.subject(), file.string());
    EXPECT_NE(e.reason().find(reason_part), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << "multi-line: " << e.what();
  }
}

}  // namespace unetx::io
