#!/usr/bin/env bash
# Submits the whole unetx pipeline as SLURM jobs chained with --dependency=afterok:
#
#   preprocess -> train -> predict -> evaluate
#                      \-> explain
#                      \-> uncertainty
#
#   slurm/chain.sh [--gpu] [--no-xai] COHORT WORKDIR
#
# COHORT is a cohort manifest (with labels); everything goes under WORKDIR (pre/, model/,
# pred/, xai/, unc/, eval/, logs/). Extra options per stage: PREPROCESS_ARGS, TRAIN_ARGS,
# PREDICT_ARGS, EXPLAIN_ARGS, UNCERTAINTY_ARGS, EVALUATE_ARGS (word-split), and SBATCH_ARGS
# for every sbatch call (e.g. "--partition=cpu --account=proj"). Prints one line per job:
# "<stage> <job id>". A job that fails stops its dependants (afterok); a preempted one requeues
# itself and its dependants keep waiting.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
train_template="$here/train_cpu.sbatch"
xai=1
while [ $# -gt 0 ]; do
  case "$1" in
    --gpu) train_template="$here/train_gpu.sbatch"; shift ;;
    --no-xai) xai=0; shift ;;
    --) shift; break ;;
    -*) echo "chain.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
if [ $# -ne 2 ]; then
  echo "usage: chain.sh [--gpu] [--no-xai] COHORT WORKDIR" >&2
  exit 2
fi
cohort="$(realpath "$1")"
work="$(realpath -m "$2")"
mkdir -p "$work/logs"

# Word-split on purpose: these hold several options.
read -r -a sbatch_args <<<"${SBATCH_ARGS:-}"
read -r -a preprocess_args <<<"${PREPROCESS_ARGS:-}"
read -r -a train_args <<<"${TRAIN_ARGS:-}"
read -r -a predict_args <<<"${PREDICT_ARGS:-}"
read -r -a explain_args <<<"${EXPLAIN_ARGS:-}"
read -r -a uncertainty_args <<<"${UNCERTAINTY_ARGS:-}"
read -r -a evaluate_args <<<"${EVALUATE_ARGS:-}"

# submit NAME DEPENDENCY TEMPLATE ARGS...: prints the job id. The templates find run_step.sh
# through UNETX_SLURM_DIR, whatever folder sbatch is called from.
submit() {
  local name="$1" after="$2"
  shift 2
  local dependency=()
  [ -n "$after" ] && dependency=(--dependency="afterok:$after" --kill-on-invalid-dep=yes)
  sbatch --parsable "${sbatch_args[@]}" "${dependency[@]}" --job-name="unetx-$name" \
    --output="$work/logs/$name-%j.log" --export="ALL,UNETX_SLURM_DIR=$here" "$@" | cut -d';' -f1
}

checkpoint="$work/model/checkpoint_best.pt"
pre=$(submit preprocess "" "$here/preprocess.sbatch" -i "$cohort" -o "$work/pre" "${preprocess_args[@]}")
echo "preprocess $pre"
train=$(submit train "$pre" "$train_template" "$work/pre" "$work/model" "${train_args[@]}")
echo "train $train"
predict=$(submit predict "$train" "$here/cohort.sbatch" predict -i "$cohort" -m "$checkpoint" \
  -o "$work/pred" "${predict_args[@]}")
echo "predict $predict"
evaluate=$(submit evaluate "$predict" "$here/cohort.sbatch" evaluate -p "$work/pred" \
  -r "$cohort" -o "$work/eval" "${evaluate_args[@]}")
echo "evaluate $evaluate"
if [ "$xai" -eq 1 ]; then
  explain=$(submit explain "$train" "$here/cohort.sbatch" explain -i "$cohort" -m "$checkpoint" \
    -o "$work/xai" "${explain_args[@]}")
  echo "explain $explain"
  uncertainty=$(submit uncertainty "$train" "$here/cohort.sbatch" uncertainty -i "$cohort" \
    -m "$checkpoint" -o "$work/unc" "${uncertainty_args[@]}")
  echo "uncertainty $uncertainty"
fi
