#!/usr/bin/env bash
# Runs every test suite against the build in build/ and ends with each runner's
# summary. Exits non-zero when any suite failed. scripts/setup.sh must have run.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
export PATH="$here/.tools/bin:$PATH"
export BERTH_LIBRARY="$here/build/libberth.so"
export BERTH_CLI="$here/build/bin/berth"
export BERTH_BUILD_DIR="$here/build"

declare -A status
run_suite() {
  local name=$1
  shift
  echo
  echo "==================== $name ===================="
  "$@"
  status[$name]=$?
}

# C++ unit tests, the C99 ABI test, exported symbols, packaging, CLI.
run_suite ctest ctest --test-dir build --output-on-failure --timeout 900

# Python: the ctypes binding, the botocore differential test, test servers and the
# registry integration tests. Exit code 5 ("no tests collected") counts as failure.
py_dirs=(bindings/python/tests)
for d in tests/differential tests/servers tests/integration; do
  [[ -d $d ]] && py_dirs+=("$d")
done
run_suite pytest python3 -m pytest -q -p no:cacheprovider "${py_dirs[@]}"

# Go: against the library and header as installed, through pkg-config.
stage="$here/build/stage"
cmake --install build --prefix "$stage" >/dev/null
libdir=$(dirname "$(find "$stage" -name 'libberth.so' | head -n 1)")
run_suite "go test" env -C bindings/go PKG_CONFIG_PATH="$libdir/pkgconfig" LD_LIBRARY_PATH="$libdir" \
  go test -count=1 ./...

echo
echo "==================== summary ===================="
failed=0
for name in ctest pytest "go test"; do
  if [[ ${status[$name]:-1} -eq 0 ]]; then
    echo "$name: passed"
  else
    echo "$name: FAILED (exit ${status[$name]:-?})"
    failed=1
  fi
done
exit $failed
