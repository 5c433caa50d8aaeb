#!/usr/bin/env bash
# The CI workflow end to end from Python (unittest, through pytest), Go (go test) and
# C++ (doctest), each against its own local ECR stack.
#   tests/e2e/run_all.sh BUILD_DIR
# Installs BUILD_DIR to BUILD_DIR/stage and tests that installed copy: the Python
# binding loads BUILD_DIR/stage's libberth.so (BERTH_LIBRARY), Go finds it through
# pkg-config, C++ through find_package(berth). Exit status: non-zero if any failed.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$(cd "${1:?usage: run_all.sh BUILD_DIR}" && pwd)
stage="$build/stage"

cmake --install "$build" --prefix "$stage" >/dev/null || exit 1
libdir="$stage/lib"
[[ -d $libdir ]] || libdir="$stage/lib64"
export PKG_CONFIG_PATH="$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export BERTH_LIBRARY="$libdir/libberth.so"
export BERTH_CLI="$stage/bin/berth"

failed=()
run() {
  local name=$1
  shift
  local t0=$EPOCHREALTIME
  printf '\n== e2e %s\n' "$name"
  if "$@"; then status=ok; else status=FAILED; failed+=("$name"); fi
  awk -v n="$name" -v s="$status" -v a="$t0" -v b="$EPOCHREALTIME" \
    'BEGIN { printf "== e2e %s: %s (%.1fs)\n", n, s, b - a }'
}

cd "$here" || exit 1
run python python3 -m pytest -q -p no:cacheprovider tests/e2e
run go bash -c 'cd tests/e2e/go && go test -count=1 ./...'
run c++ tests/e2e/run_cpp_e2e.sh "$stage"

if ((${#failed[@]})); then
  echo "e2e failed: ${failed[*]}" >&2
  exit 1
fi
echo "e2e: all passed"
