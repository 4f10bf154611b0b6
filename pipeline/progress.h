// Progress reporting for long loops (cases, epochs): a redrawn bar when stderr is a terminal,
// otherwise a plain log line every `interval_s` seconds (SLURM logs stay readable).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace unetx::pipeline {

class Progress {
 public:
  Progress(std::string what, int64_t total, double interval_s = 10.0);
  ~Progress();  // ends the bar's line
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Marks one more item done; `item` names it (e.g. the case id).
  void step(const std::string& item = "");

 private:
  void draw(const std::string& item);

  std::string what_;
  int64_t total_;
  int64_t done_ = 0;
  double interval_s_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace unetx::pipeline
