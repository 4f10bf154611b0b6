#!/usr/bin/env bash
# A real single-node SLURM cluster on this machine, for testing the sbatch templates: munged,
# slurmctld and slurmd started by hand as root (no systemd), everything under one folder.
#
#   slurm/local_cluster.sh start DIR    writes DIR/slurm.conf, starts the daemons, waits until
#                                       the node is idle; prints `export SLURM_CONF=...`
#   slurm/local_cluster.sh stop DIR     stops exactly the daemons DIR/pids lists, by PID
#
# Needs root and the Debian packages slurm-wlm and munge (scripts/setup.sh --tests). The
# settings that matter were measured here: the node name must be `hostname -s`; MpiDefault=pmix
# (Debian's Open MPI has no PMI-2); proctrack/pgid (linuxproc leaves stray processes);
# task/none; select/cons_tres; a short munge credential lifetime (cred_expire) and 2 s
# scheduler intervals, or a requeued job waits minutes before it runs again.
set -euo pipefail

usage() {
  echo "usage: local_cluster.sh start|stop DIR" >&2
  exit 2
}
[ $# -eq 2 ] || usage
action="$1"
dir="$(realpath -m "$2")"

# Ports from the folder's name, so two clusters (two test runs) on one machine do not collide.
ports() {
  local sum
  sum=$(printf '%s' "$dir" | cksum | cut -d' ' -f1)
  echo $((20000 + (sum % 2000) * 2))
}

write_config() {
  local host cpus port
  host="$(hostname -s)"
  cpus="$(nproc)"
  port="$(ports)"
  mkdir -p "$dir/state" "$dir/spool" "$dir/munge"
  cat >"$dir/slurm.conf" <<CONF
ClusterName=unetx-test
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket,cred_expire=10
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
MpiDefault=pmix
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
EnforcePartLimits=ALL
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2,bf_interval=2
JobRequeue=1
ReturnToService=2
KillWait=5
MinJobAge=600
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
NodeName=$host CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
}

# Waits up to $2 seconds for command $1 to succeed.
wait_for() {
  local i
  for ((i = 0; i < $2 * 5; i++)); do
    if eval "$1" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "local_cluster: timed out waiting for: $1" >&2
  return 1
}

start() {
  [ "$(id -u)" -eq 0 ] || { echo "local_cluster: needs root" >&2; exit 1; }
  mkdir -p "$dir"
  write_config
  export SLURM_CONF="$dir/slurm.conf"
  : >"$dir/pids"
  # A fresh key for this cluster only; munged insists on owner-only permissions.
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  chmod 0400 "$dir/munge/munge.key"
  chmod 0755 "$dir/munge"
  # Each daemon in the foreground of a background job: $! is its PID, written down for stop.
  munged --foreground --force --socket="$dir/munge/munge.socket" \
    --key-file="$dir/munge/munge.key" --pid-file="$dir/munge/munged.pid" \
    --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed" \
    >>"$dir/munge/munged.out" 2>&1 &
  echo "$!" >>"$dir/pids"
  wait_for "[ -S '$dir/munge/munge.socket' ]" 20
  slurmctld -D -c -f "$SLURM_CONF" >>"$dir/slurmctld.out" 2>&1 &
  echo "$!" >>"$dir/pids"
  wait_for "scontrol ping | grep -q UP" 30
  slurmd -D -f "$SLURM_CONF" >>"$dir/slurmd.out" 2>&1 &
  echo "$!" >>"$dir/pids"
  wait_for "sinfo -h -o %t | grep -qx idle" 60
  echo "export SLURM_CONF=$SLURM_CONF"
}

# Cancels this cluster's jobs (their steps end with them), then stops the daemons this folder
# started, newest first (slurmd, slurmctld, munged): TERM, then KILL after 10 s.
stop() {
  [ -f "$dir/pids" ] || return 0
  local pid i
  export SLURM_CONF="$dir/slurm.conf"
  if timeout 10 squeue -h -o %i 2>/dev/null | grep -q .; then
    timeout 10 scancel --full --signal=KILL $(squeue -h -o %i) 2>/dev/null || true
    wait_for "[ -z \"\$(squeue -h -o %i)\" ]" 20 || true
  fi
  for pid in $(tac "$dir/pids"); do
    kill -TERM "$pid" 2>/dev/null || continue
    for ((i = 0; i < 50; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -f "$dir/pids"
}

case "$action" in
  start) start ;;
  stop) stop ;;
  *) usage ;;
esac
