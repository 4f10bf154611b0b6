#include "pipeline/progress.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>

namespace unetx::pipeline {

Progress::Progress(std::string what, int64_t total, double interval_s)
    : what_(std::move(what)),
      total_(total),
      interval_s_(interval_s),
      tty_(isatty(fileno(stderr)) != 0 && spdlog::get_level() <= spdlog::level::info),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

Progress::~Progress() {
  if (tty_ && done_ > 0) std::fputc('\n', stderr);
}

void Progress::step(const std::string& item) {
  ++done_;
  auto now = std::chrono::steady_clock::now();
  double since_last = std::chrono::duration<double>(now - last_).count();
  if (tty_ || since_last >= interval_s_ || done_ == total_) {
    last_ = now;
    draw(item);
  }
}

void Progress::draw(const std::string& item) {
  double elapsed = std::chrono::duration<double>(last_ - start_).count();
  double eta = done_ > 0 ? elapsed / done_ * (total_ - done_) : 0.0;
  if (tty_) {
    constexpr int kWidth = 30;
    int filled = total_ > 0 ? static_cast<int>(kWidth * done_ / total_) : kWidth;
    std::string bar(filled, '=');
    bar.resize(kWidth, ' ');
    std::fprintf(stderr, "\r%s [%s] %lld/%lld  %.0fs left  %-24.24s", what_.c_str(), bar.c_str(),
                 static_cast<long long>(done_), static_cast<long long>(total_), eta, item.c_str());
    std::fflush(stderr);
  } else {
    spdlog::info("{}: {}/{} done ({:.0f}s elapsed, ~{:.0f}s left){}", what_, done_, total_, elapsed,
                 eta, item.empty() ? "" : ", last " + item);
  }
}

}  // namespace unetx::pipeline
