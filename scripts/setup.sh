#!/usr/bin/env bash
# Installs exactly the Debian bookworm packages unetx needs to build, test and run its demo.
# Idempotent and non-interactive: packages already present are skipped, and apt waits on
# the dpkg lock instead of failing when another apt run holds it.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libtorch-dev libopenblas0-pthread          # LibTorch 1.13 (CPU) + a fast BLAS for it
  libopenmpi-dev openmpi-bin                 # MPI data parallelism
  libdcmtk-dev dcmtk                         # DICOM series and DICOM SEG
  libinsighttoolkit5-dev                     # NIfTI / MHA / NRRD through ITK
  libboost-program-options-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libpng-dev zlib1g-dev libdeflate-dev
  mricron-data                               # Colin27 T1 + brain mask: the demo's real data
)
# `setup.sh --tests` adds what only the test suite needs.
if [ "${1:-}" = "--tests" ]; then
  PACKAGES+=(chromium)                       # headless browser test of report.html
  PACKAGES+=(slurm-wlm munge)                # the local SLURM cluster of tests/slurm (label slurm)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#PACKAGES[@]} packages present" >&2
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
APT_OPTS=(-y -q -o DPkg::Lock::Timeout=600 --no-install-recommends)
export DEBIAN_FRONTEND=noninteractive
echo "setup: installing ${missing[*]}" >&2
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -q
$SUDO apt-get install "${APT_OPTS[@]}" "${missing[@]}"
