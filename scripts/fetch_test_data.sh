#!/usr/bin/env bash
# Fetches the conformance test files that unetx did not write: pydicom's DICOM test set and
# nibabel's NIfTI test data, straight from their Debian packages (`apt-get download` + `dpkg -x`,
# so neither Python nor their dependencies get installed). Result:
#   tests/data/external/pydicom/   pydicom/data/test_files (every transfer syntax, broken files)
#   tests/data/external/nibabel/   nibabel/tests/data (NIfTI-1/2, 4-D, Analyze headers)
# Idempotent: a folder already filled is left alone.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
DEST="$ROOT/tests/data/external"
declare -A SOURCES=(
  [pydicom]="python3-pydicom usr/lib/python3/dist-packages/pydicom/data/test_files"
  [nibabel]="python3-nibabel usr/lib/python3/dist-packages/nibabel/tests/data"
)

for name in "${!SOURCES[@]}"; do
  read -r package inner <<<"${SOURCES[$name]}"
  if [ -f "$DEST/$name/.complete" ]; then continue; fi
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  # _apt cannot write into a root-owned mktemp folder; let it, so apt does not warn.
  chmod 777 "$work"
  (cd "$work" && apt-get download -q "$package" >/dev/null)
  dpkg -x "$work"/"$package"_*.deb "$work/x"
  rm -rf "$DEST/$name"
  mkdir -p "$DEST"
  cp -r "$work/x/$inner" "$DEST/$name"
  touch "$DEST/$name/.complete"
  rm -rf "$work"
  trap - EXIT
  echo "fetch_test_data: $package -> tests/data/external/$name" >&2
done
