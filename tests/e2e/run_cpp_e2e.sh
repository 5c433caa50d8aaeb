#!/usr/bin/env bash
# The C++ end-to-end test: builds tests/e2e/cpp against an installed berth (as a
# consumer would, find_package(berth)), starts the ECR stack and two more registries,
# runs the doctest binary with BERTH_E2E_STATE / BERTH_E2E_REGIONS, stops the stacks.
#   tests/e2e/run_cpp_e2e.sh PREFIX [doctest options...]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
prefix=${1:?usage: run_cpp_e2e.sh INSTALL_PREFIX [doctest options]}
shift
prefix=$(cd "$prefix" && pwd)
work=$(mktemp -d /tmp/berth-e2e-cpp.XXXXXX)
cleanup() {
  python3 "$here/tests/ecr_stack/ecr_stack.py" down --state-dir "$work/ecr" >/dev/null 2>&1 || true
  for r in region2 region3; do
    python3 "$here/tests/servers/stack.py" down --state-dir "$work/$r" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

t0=$EPOCHREALTIME
gen=()
command -v ninja >/dev/null && gen=(-G Ninja)
cmake -S "$here/tests/e2e/cpp" -B "$work/build" "${gen[@]}" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$work/build" >/dev/null
t1=$EPOCHREALTIME

python3 "$here/tests/ecr_stack/ecr_stack.py" up --state-dir "$work/ecr" >/dev/null
python3 "$here/tests/servers/stack.py" up --kind plain --state-dir "$work/region2" >/dev/null
python3 "$here/tests/servers/stack.py" up --kind plain --state-dir "$work/region3" >/dev/null
hostport() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['registry']['hostport'])" "$1"; }
export BERTH_E2E_STATE="$work/ecr/ecr_stack.json"
export BERTH_E2E_REGIONS="$(hostport "$work/region2/stack.json"),$(hostport "$work/region3/stack.json")"
t2=$EPOCHREALTIME

rc=0
mkdir -p "$work/tmp"
TMPDIR="$work/tmp" "$work/build/berth_e2e_workflow" "$@" || rc=$?
awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$EPOCHREALTIME" \
  'BEGIN { printf "[e2e c++] build %.1fs, stack up %.1fs, test %.1fs\n", b - a, c - b, d - c }' >&2
exit $rc
