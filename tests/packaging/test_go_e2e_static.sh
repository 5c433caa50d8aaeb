#!/usr/bin/env bash
# The Go end-to-end workflow (tests/e2e/go) linked with -tags berth_static: libberth.a
# from a temporary install through berth-static.pc. The test binary must not need
# libberth.so, and it runs with no LD_LIBRARY_PATH (the ECR stack, registries and
# the berth CLI it drives are as for the shared build in scripts/test.sh).
#   test_go_e2e_static.sh SRC BUILD_DIR
set -euo pipefail
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset LD_LIBRARY_PATH BERTH_LIBRARY
cmake --install "$build" --prefix "$work/prefix" >/dev/null
libdir=$(dirname "$(find "$work/prefix" -name 'libberth.a' | head -n 1)")
export PKG_CONFIG_PATH="$libdir/pkgconfig"
# Go's build cache keys a cgo package on CGO_CFLAGS but not on pkg-config's output,
# so a cached build of the binding would link an earlier run's (deleted) prefix.
# Naming this run's prefix in CGO_CFLAGS (an -I pkg-config gives anyway) keys it.
export CGO_CFLAGS="-O2 -g -I$work/prefix/include"
export BERTH_CLI=${BERTH_CLI:-$build/bin/berth}

cd "$src/tests/e2e/go"
go vet -tags berth_static ./...
go test -c -tags berth_static -o "$work/e2e-static.test" .
if grep -q 'NEEDED.*libberth' <<<"$(readelf -d "$work/e2e-static.test")"; then
  echo "FAIL: the berth_static e2e binary needs libberth.so"
  exit 1
fi
# Run from the package directory, as `go test` does.
"$work/e2e-static.test" -test.count=1 -test.timeout=20m -test.v 2>&1 |
  grep -E '^(=== RUN|--- |PASS|FAIL|ok)|\[e2e go\]'
echo "go e2e: built with -tags berth_static (no libberth.so needed) and passed"
