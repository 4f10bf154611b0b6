#!/usr/bin/env bash
# The sbatch templates on a real single-node SLURM cluster started here (slurm/local_cluster.sh):
#   1. preprocess.sbatch, train_cpu.sbatch (2 MPI ranks) and cohort.sbatch predict (4 ranks on
#      2 cores, --overcommit) run with `sbatch --wait` and leave complete outputs (below);
#   2. a training job sent USR1 mid-run checkpoints, requeues itself, resumes and ends with the
#      same losses and the same predictions (so the same weights) as the uninterrupted run;
#   3. a predict job (4 ranks) sent USR1 mid-cohort requeues and finishes; a predict job killed
#      outright and submitted again finishes too: every case's output and the manifest equal an
#      uninterrupted run's, and no case finished before the kill is written again;
#   4. chain.sh submits the whole pipeline (preprocess -> train -> predict -> evaluate, explain,
#      uncertainty) chained with afterok; every job completes and leaves its outputs.
#
#   slurm_harness_test.sh UNETX_BINARY REPOSITORY
#
# Exits 77 (ctest SKIP_RETURN_CODE) when not root or slurm-wlm/munge are missing. Stops every
# daemon it started, also on failure.
set -euo pipefail

unetx="$1"
repo="$2"
readonly SKIP=77

if [ "$(id -u)" -ne 0 ]; then
  echo "SKIP: the local SLURM cluster needs root" >&2
  exit "$SKIP"
fi
for tool in munged slurmctld slurmd sbatch srun scontrol; do
  if ! command -v "$tool" >/dev/null; then
    echo "SKIP: $tool not installed (scripts/setup.sh --tests installs slurm-wlm and munge)" >&2
    exit "$SKIP"
  fi
done

work="$(mktemp -d /tmp/unetx_slurm.XXXXXX)"
cluster="$work/cluster"
passed=0
cleanup() {
  "$repo/slurm/local_cluster.sh" stop "$cluster" || true
  if [ "$passed" -eq 1 ]; then rm -rf "$work"; else echo "kept for a look: $work" >&2; fi
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

eval "$("$repo/slurm/local_cluster.sh" start "$cluster")"
export UNETX="$unetx" UNETX_SLURM_DIR="$repo/slurm"
# Small jobs for a 2-core machine: one node, one CPU per task, more tasks than cores.
small=(--nodes=1 --cpus-per-task=1 --overcommit --time=00:10:00)

# submit_bg LOG TEMPLATE ARGS...: submits with --wait in the background; sets job_id and
# waiter (the PID of the waiting sbatch).
submit_bg() {
  local log="$1"
  shift
  sbatch --wait --parsable "${small[@]}" --output="$log" "$@" >"$log.id" &
  waiter=$!
  local i
  for ((i = 0; i < 100; i++)); do
    job_id="$(cut -d';' -f1 "$log.id" 2>/dev/null || true)"
    [ -n "$job_id" ] && return 0
    sleep 0.1
  done
  fail "sbatch printed no job id for $*"
}

# wait_until CONDITION SECONDS: polls every 0.1 s.
wait_until() {
  local i
  for ((i = 0; i < $2 * 10; i++)); do
    if eval "$1"; then return 0; fi
    sleep 0.1
  done
  fail "timed out waiting for: $1"
}

# same_files A B FILE...: each file byte-identical in folders A and B.
same_files() {
  local a="$1" b="$2" f
  shift 2
  for f in "$@"; do cmp -s "$a/$f" "$b/$f" || fail "$b/$f differs from $a/$f"; done
}

start=$SECONDS
"$unetx" synth -o "$work/c" --cases 12 --size 40,40,24 --seed 5 --threads 1 2>"$work/synth.log"
mapfile -t ids < <(tail -n +2 "$work/c/manifest.csv" | cut -d, -f1)
masks=()
for id in "${ids[@]}"; do masks+=("$id.nii.gz" "${id}_prob.nii.gz"); done

echo "== preprocess.sbatch (at $((SECONDS - start)) s)"
sbatch --wait "${small[@]}" --ntasks=1 --output="$work/pre.log" "$repo/slurm/preprocess.sbatch" \
  -i "$work/c/manifest.csv" -o "$work/pre" --features 4,8 --patch 16,16,16 >/dev/null ||
  fail "preprocess job failed: $(cat "$work/pre.log")"
[ -f "$work/pre/plan.json" ] || fail "no plan.json"
[ "$(grep -c ',ok$' "$work/pre/manifest.csv")" -eq 12 ] || fail "preprocess: not every case ok"

echo "== train_cpu.sbatch, uninterrupted and preempted (at $((SECONDS - start)) s)"
train_args=(--epochs 4 --iterations 4 --val-fraction 0.25 --seed 3)
sbatch --wait "${small[@]}" --ntasks=2 --output="$work/train_a.log" \
  "$repo/slurm/train_cpu.sbatch" "$work/pre" "$work/model_a" "${train_args[@]}" >/dev/null ||
  fail "training job failed: $(cat "$work/train_a.log")"
submit_bg "$work/train_b.log" --ntasks=2 "$repo/slurm/train_cpu.sbatch" "$work/pre" \
  "$work/model_b" "${train_args[@]}"
# USR1 to the batch shell, as `--signal=B:USR1@120` would, once the first epoch is logged.
wait_until "[ -s '$work/model_b/train_log.jsonl' ]" 120
scancel --batch --signal=USR1 "$job_id"
wait "$waiter" || fail "preempted training job failed: $(cat "$work/train_b.log")"
grep -q "requeueing job $job_id" "$work/train_b.log" || fail "training job did not requeue"
grep -q "resuming from" "$work/train_b.log" || fail "requeued training did not resume"
[ "$(scontrol show job "$job_id" | grep -o 'Restarts=[0-9]*')" = "Restarts=1" ] ||
  fail "expected exactly one restart of job $job_id"
cmp -s <(grep -o '"train_loss":[^,]*' "$work/model_a/train_log.jsonl") \
  <(grep -o '"train_loss":[^,]*' "$work/model_b/train_log.jsonl") ||
  fail "resumed training logged other losses than the uninterrupted one"
# Same weights <=> the same probabilities, bit for bit, from both checkpoints.
for m in a b; do
  "$unetx" predict -i "$work/c/manifest.csv" -m "$work/model_$m/checkpoint_last.pt" \
    -o "$work/check_$m" --save-probabilities --threads 1 2>>"$work/check.log"
done
same_files "$work/check_a" "$work/check_b" "${masks[@]}"

echo "== cohort.sbatch predict: preempted with USR1, killed and resubmitted (at $((SECONDS - start)) s)"
predict=("$repo/slurm/cohort.sbatch" predict -i "$work/c/manifest.csv"
  -m "$work/model_a/checkpoint_last.pt" --save-probabilities)
# The reference is check_a: the same command run uninterrupted in one process.
submit_bg "$work/pred_b.log" --ntasks=4 "${predict[@]}" -o "$work/pred_b"
wait_until "ls '$work/pred_b/'*_prob.nii.gz >/dev/null 2>&1" 120
scancel --batch --signal=USR1 "$job_id"
wait "$waiter" || fail "preempted predict job failed: $(cat "$work/pred_b.log")"
grep -q "requeueing job $job_id" "$work/pred_b.log" || fail "predict job did not requeue"
same_files "$work/check_a" "$work/pred_b" manifest.csv "${masks[@]}"

submit_bg "$work/pred_c.log" --ntasks=4 "${predict[@]}" -o "$work/pred_c"
wait_until "cat '$work/pred_c/'.journal-rank*.jsonl 2>/dev/null | grep -q id" 120
# SIGKILL to the step's tasks at once (as a node failure would); no chance to save anything.
scancel --signal=KILL "$job_id.0"
wait "$waiter" && fail "a killed job reported success"
grep -q "requeueing" "$work/pred_c.log" && fail "a killed job requeued itself"
# Cases journalled before the kill are finished: their files must survive the rerun untouched.
mapfile -t done_ids < <(cat "$work/pred_c/".journal-rank*.jsonl | grep -o '"id":"[^"]*"' |
  cut -d'"' -f4)
[ "${#done_ids[@]}" -lt 12 ] || fail "the predict job finished before it was killed"
declare -A before
for id in "${done_ids[@]}"; do before[$id]="$(stat -c '%i %Y' "$work/pred_c/$id.nii.gz")"; done
sbatch --wait "${small[@]}" --ntasks=4 --output="$work/pred_c2.log" "${predict[@]}" \
  -o "$work/pred_c" >/dev/null || fail "rerun predict job failed: $(cat "$work/pred_c2.log")"
grep -q "${#done_ids[@]} case(s) already done by an earlier run, skipped" "$work/pred_c2.log" ||
  fail "rerun did not skip the ${#done_ids[@]} finished case(s)"
for id in "${done_ids[@]}"; do
  [ "$(stat -c '%i %Y' "$work/pred_c/$id.nii.gz")" = "${before[$id]}" ] ||
    fail "case $id was written again by the rerun"
done
same_files "$work/check_a" "$work/pred_c" manifest.csv "${masks[@]}"
leftovers="$(find "$work/pred_c" -name '.tmp-*' -o -name '.journal-*' | wc -l)"
[ "$leftovers" -eq 0 ] || fail "temporary or journal files left in pred_c"

echo "== chain.sh: the whole pipeline chained with afterok (at $((SECONDS - start)) s)"
mapfile -t chain < <(SBATCH_ARGS="${small[*]} --ntasks=2" \
  PREPROCESS_ARGS="--features 4,8 --patch 16,16,16" \
  TRAIN_ARGS="--epochs 2 --iterations 2 --val-fraction 0.25 --seed 3" \
  EXPLAIN_ARGS="--method saliency" UNCERTAINTY_ARGS="--method entropy" \
  "$repo/slurm/chain.sh" "$work/c/manifest.csv" "$work/chain")
[ "${#chain[@]}" -eq 6 ] || fail "chain.sh submitted ${#chain[@]} jobs, expected 6: ${chain[*]}"
chain_ids="$(printf '%s\n' "${chain[@]}" | cut -d' ' -f2 | paste -sd,)"
wait_until "[ -z \"\$(squeue -h -j $chain_ids 2>/dev/null)\" ]" 600
for entry in "${chain[@]}"; do
  read -r stage id <<<"$entry"
  scontrol show job "$id" | grep -q "JobState=COMPLETED" ||
    fail "chain stage $stage (job $id) did not complete: $(cat "$work/chain/logs/$stage-$id.log")"
done
[ -f "$work/chain/model/checkpoint_best.pt" ] || fail "chain: no checkpoint"
for out in pred xai unc; do
  [ "$(grep -c ',ok$' "$work/chain/$out/manifest.csv")" -eq 12 ] || fail "chain: $out not complete"
done
[ -f "$work/chain/eval/summary.json" ] || fail "chain: no evaluation summary"

passed=1
echo "slurm harness: all checks passed in $((SECONDS - start)) s"
