#!/usr/bin/env bash
# Runs one unetx job step under SLURM and makes it survive preemption and time limits.
#
#   run_step.sh COMMAND [ARGS...]      (exec'd by the sbatch templates; COMMAND is usually srun)
#
# The templates ask for `#SBATCH --signal=B:USR1@120`: SLURM sends USR1 to the batch shell only,
# 120 s before the end. This script is that shell (the templates exec it), so it traps USR1 (and
# TERM, sent by scancel and before a preemption kill) and forwards the signal to every step of
# the job. unetx then stops at its next safe point: training saves checkpoint_last.pt, cohort
# commands finish the case at hand. Either way unetx exits 75; after USR1 the script then
# requeues the job (`#SBATCH --requeue`), and the rerun resumes: training with --resume (the
# train templates add it when checkpoint_last.pt exists), cohort commands by skipping finished
# cases. After TERM it does not requeue (a cancelled job stays cancelled; SLURM requeues
# preempted jobs itself when PreemptMode=REQUEUE).
set -euo pipefail

readonly EXIT_STOPPED=75  # unetx: stopped on a signal after saving its state

if [ $# -eq 0 ]; then
  echo "usage: run_step.sh COMMAND [ARGS...]" >&2
  exit 2
fi

step_pid=""
forward() {
  local signal="$1"
  echo "run_step: got SIG${signal}, forwarding it to the job's steps" >&2
  # Every step of this job (not the batch shell itself); plain kill reaches srun as a fallback
  # when we are not inside a SLURM allocation (a local dry run of a template).
  if [ -n "${SLURM_JOB_ID:-}" ]; then
    scancel --signal="$signal" "$SLURM_JOB_ID" || kill -s "$signal" "$step_pid" 2>/dev/null || true
  else
    kill -s "$signal" "$step_pid" 2>/dev/null || true
  fi
}
# TERM alone (scancel, or the end of a preemption grace time) means the job is being ended:
# the step still saves its state, but the job is not requeued against the user's cancel.
terminated=0
trap 'forward USR1' USR1
trap 'terminated=1; forward TERM' TERM

echo "run_step: job ${SLURM_JOB_ID:-local} (restart ${SLURM_RESTART_COUNT:-0}) runs: $*" >&2
# In the background, so the traps run while the step works (bash defers traps during a
# foreground child).
"$@" &
step_pid=$!

# `wait` returns early when a trapped signal arrives: wait again while the step lives, then
# once more for its exit status (bash keeps it for a child already reaped).
while kill -0 "$step_pid" 2>/dev/null; do
  wait "$step_pid" || true
done
status=0
wait "$step_pid" || status=$?

if [ "$status" -eq "$EXIT_STOPPED" ] && [ "$terminated" -eq 1 ]; then
  echo "run_step: job ended by SIGTERM with its state saved; submit it again to resume" >&2
elif [ "$status" -eq "$EXIT_STOPPED" ] && [ -n "${SLURM_JOB_ID:-}" ]; then
  echo "run_step: step stopped with its state saved; requeueing job $SLURM_JOB_ID" >&2
  if scontrol requeue "$SLURM_JOB_ID"; then
    # SLURM ends this shell as part of the requeue; until then, nothing else to do.
    exit 0
  fi
  echo "run_step: requeue refused (submitted without --requeue?); resubmit to resume" >&2
fi
exit "$status"
