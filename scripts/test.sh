#!/usr/bin/env bash
# Runs every test suite against the build in build/ and ends with each runner's
# summary. Exits non-zero when any suite failed. scripts/setup.sh must have run.
#
#   scripts/test.sh           every suite: the gate CI runs (.ci/run)
#   scripts/test.sh --quick   the inner loop: the C++ unit tests, the C ABI, the CLI,
#                             the Python binding and the fastest integration suites
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
quick=0
case "${1:-}" in
  "") ;;
  --quick) quick=1 ;;
  *)
    echo "usage: scripts/test.sh [--quick]" >&2
    exit 2
    ;;
esac
export PATH="$here/.tools/bin:$PATH"
export BERTH_LIBRARY="$here/build/libberth.so"
export BERTH_CLI="$here/build/bin/berth"
export BERTH_BUILD_DIR="$here/build"
# Every process a suite starts inherits this mark; at the end none may be left
# (scripts/leftover_processes.py).
export BERTH_TEST_RUN_MARK="$$-$RANDOM-$EPOCHSECONDS"

names=()
declare -A status
run_suite() {
  local name=$1
  shift
  echo
  echo "==================== $name ===================="
  "$@"
  status[$name]=$?
  names+=("$name")
}

summary() {
  echo
  echo "==================== summary ===================="
  local failed=0
  for name in "${names[@]}"; do
    if [[ ${status[$name]} -eq 0 ]]; then
      echo "$name: passed"
    else
      echo "$name: FAILED (exit ${status[$name]})"
      failed=1
    fi
  done
  return $failed
}

if ((quick)); then
  # Minutes, not the gate's half hour: no sanitizer build, fuzzing, packaging, Go
  # module builds or act. The full run (no --quick) is what CI and a resolved issue
  # need.
  run_suite "ctest (quick)" ctest --test-dir build --output-on-failure --timeout 300 \
    -R '^(unit|c_.*|exported_symbols|cli.*)$'
  run_suite "pytest bindings/python/tests" python3 -m pytest -q -p no:cacheprovider \
    bindings/python/tests
  run_suite "pytest tests/integration (quick)" python3 -m pytest -q -p no:cacheprovider \
    tests/integration -k "hostile or duplicate or credential_scope or copy_verifies or errors"
  run_suite "pytest tests/dockerfile (quick)" python3 -m pytest -q -p no:cacheprovider \
    tests/dockerfile/test_dockerfile_build.py
  run_suite "no process left running" scripts/leftover_processes.py --kill
  summary
  exit $?
fi

# C++ unit tests, the C99 ABI tests, exported symbols, packaging, CLI, tar and
# layout interop with GNU tar, umoci, skopeo and crane.
run_suite ctest ctest --test-dir build --output-on-failure --timeout 900

# The same C++, C ABI and CLI tests on the clang ASan+UBSan build (build-fuzz/), which
# fails on any sanitizer report; then every fuzz target for 10 s, seeds and crash
# reproducers first (scripts/fuzz.sh; crashes stay in build-fuzz/fuzz-artifacts/).
run_suite sanitizers scripts/fuzz.sh --tests
run_suite fuzz scripts/fuzz.sh "${BERTH_FUZZ_SECONDS:-10}"

# Python suites, one pytest run per directory so each keeps its own conftest and
# pytest.ini: the ctypes binding, the botocore/aws4 differential tests, the test
# servers, the registry integration tests, the AWS providers against moto, the ECR
# stand-in stack, the end-to-end workflow, the GitHub Actions workflows under act and
# the RUN executor's sandbox (root and rootless).
for d in bindings/python/tests tests/differential tests/servers tests/integration tests/aws \
  tests/ecr_stack tests/e2e tests/act tests/sandbox tests/dockerfile; do
  [[ -d $d ]] || continue
  run_suite "pytest $d" python3 -m pytest -q -p no:cacheprovider "$d"
done

# Go: against the library and header as installed, through pkg-config.
stage="$here/build/stage"
rm -rf "$stage"
cmake --install build --prefix "$stage" >/dev/null
libdir=$(dirname "$(find "$stage" -name 'libberth.so' | head -n 1)")
export PKG_CONFIG_PATH="$libdir/pkgconfig" LD_LIBRARY_PATH="$libdir"
run_suite "go test bindings/go" env -C bindings/go go test -count=1 ./...
if [[ -f tests/e2e/go/go.mod ]]; then
  run_suite "go test tests/e2e/go" env -C tests/e2e/go go test -count=1 ./...
fi
if [[ -x tests/e2e/run_cpp_e2e.sh ]]; then
  run_suite "c++ e2e" tests/e2e/run_cpp_e2e.sh "$stage"
fi

# Packaging (tests/packaging), each in fresh venvs or temporary prefixes: the Python
# wheel with libberth inside (pip install of the checkout, auditwheel, mypy), the Go
# module (go get; shared and berth_static), the Go e2e linked with berth_static, the
# CPack .tar.gz and .debs (installed with dpkg, then purged), the shell completions.
run_suite "packaging: python wheel" tests/packaging/test_wheel.sh "$here" "$here/build"
run_suite "packaging: go module" tests/packaging/test_go_module.sh "$here" "$here/build"
run_suite "packaging: go e2e berth_static" tests/packaging/test_go_e2e_static.sh "$here" "$here/build"
run_suite "packaging: release artifacts" tests/packaging/test_release.sh "$here" "$here/build"
run_suite "packaging: action release install" tests/packaging/test_action_release.sh "$here" "$here/build"
run_suite "packaging: completions" tests/packaging/test_completions.sh "$here" "$here/build/bin/berth"

# Every test stops what it started, also when it fails.
run_suite "no process left running" scripts/leftover_processes.py --kill

summary
