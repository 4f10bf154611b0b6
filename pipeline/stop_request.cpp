#include "pipeline/stop_request.h"

#include <csignal>

namespace unetx::pipeline {
namespace {

// Only lock-free atomics and sig_atomic_t may be touched from a signal handler.
volatile std::sig_atomic_t g_signal = 0;
volatile std::sig_atomic_t g_requested = 0;

extern "C" void on_stop_signal(int signal) {
  g_signal = signal;
  g_requested = 1;
  // A second Ctrl-C at the terminal kills at once, as the user expects.
  if (signal == SIGINT) std::signal(SIGINT, SIG_DFL);
}

}  // namespace

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // reads and writes in progress carry on; the flag is polled
  for (int signal : {SIGTERM, SIGUSR1, SIGINT}) sigaction(signal, &action, nullptr);
}

bool stop_requested() { return g_requested != 0; }
int stop_signal() { return static_cast<int>(g_signal); }
void request_stop() { g_requested = 1; }
void clear_stop_request() {
  g_requested = 0;
  g_signal = 0;
}

}  // namespace unetx::pipeline
