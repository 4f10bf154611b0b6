// Cooperative stop on SIGTERM / SIGUSR1 / SIGINT: the signal only sets a flag, and long jobs
// (training) check it at a safe point, save what they have and exit cleanly. This is how a
// batch scheduler's warning signal (SLURM `--signal=B:USR1@120`, or the SIGTERM before a
// preemption kill) turns into a checkpoint instead of lost work.
#pragma once

namespace unetx::pipeline {

// Exit status of a command that stopped early on request after saving its state: EX_TEMPFAIL
// from sysexits.h ("try again later"), so a job script can tell it from success (0) and from
// failure (1) and requeue: the rerun with --resume continues exactly where it stopped.
inline constexpr int kExitStoppedOnSignal = 75;

// Installs the handlers (idempotent). Until then the signals keep their default action. After
// a first SIGINT, a second one kills the process as usual.
void install_stop_handlers();

// True once a handled signal arrived (or request_stop was called).
bool stop_requested();
// The signal number that asked to stop, 0 when none (or request_stop).
int stop_signal();

// Asks the running job to stop at its next safe point, as a signal would (used by a rank that
// learns from its peers that one of them was signalled, and by tests).
void request_stop();
// Forgets a previous request (a library caller that runs several jobs in one process).
void clear_stop_request();

}  // namespace unetx::pipeline
