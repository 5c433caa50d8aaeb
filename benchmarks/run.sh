#!/usr/bin/env bash
# Runs every benchmark of berth: each benchmarks/run_*.sh in turn.
#
#   benchmarks/run.sh [NAME...]     e.g. benchmarks/run.sh sigv4
#
# Each run_<name>.sh builds what it needs, pins itself to one core and prints its own
# table; see the header of each script for its environment knobs (BENCH_SECONDS,
# BENCH_REPS, BENCH_CPU, BENCH_ENFORCE are shared). Exits non-zero if any failed.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

scripts=()
if (($#)); then
  for name in "$@"; do
    [[ -x $here/run_$name.sh ]] || { echo "run.sh: no benchmark '$name' ($here/run_$name.sh)" >&2; exit 2; }
    scripts+=("$here/run_$name.sh")
  done
else
  for s in "$here"/run_*.sh; do
    [[ -x $s ]] && scripts+=("$s")
  done
fi

status=0
for s in "${scripts[@]}"; do
  name=$(basename "$s" .sh)
  echo "=== ${name#run_} ==="
  if ! "$s"; then
    echo "=== ${name#run_}: FAILED ===" >&2
    status=1
  fi
  echo
done
exit $status
