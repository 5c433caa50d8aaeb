#!/usr/bin/env bash
# The sanitized clang build in build-fuzz/ (BERTH_FUZZ: ASan+UBSan, libFuzzer
# coverage) and what runs on it.
#
#   scripts/fuzz.sh [SECONDS [TARGET...]]  build, then run each fuzz target (all by
#                                          default) for SECONDS (default 60); print
#                                          executions and crashes per target
#   scripts/fuzz.sh --tests                build, then the unit, C ABI and CLI tests
#                                          under ASan+UBSan; any sanitizer report fails
#   scripts/fuzz.sh --build                build only
#
# Targets start from the seeds in fuzz/corpus/<target> and the crash reproducers in
# fuzz/regressions/<target> (both replayed first, every run); what they learn goes
# to build-fuzz/fuzz-corpus/<target>, crashes to build-fuzz/fuzz-artifacts/<target>.
# Exit status: non-zero when a build fails, a test fails, a sanitizer reports or a
# target crashes.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
build=$here/build-fuzz

configure_and_build() {
  local cc=${BERTH_FUZZ_CC:-clang-14} cxx=${BERTH_FUZZ_CXX:-clang++-14}
  if ! command -v "$cxx" >/dev/null; then
    echo "fuzz: $cxx not found (scripts/setup.sh installs clang-14 and libclang-rt-14-dev)" >&2
    return 1
  fi
  # -O1 and line tables: fast enough to fuzz, stack traces with lines. No NDEBUG, so
  # rapidjson's assertions (a member look-up on a non-object) stop the run too.
  CC=$cc CXX=$cxx cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only" \
    -DBERTH_FUZZ=ON -DBERTH_WERROR="${BERTH_WERROR:-ON}" -DBERTH_BUILD_BENCHMARKS=OFF \
    >/dev/null || return 1
  cmake --build "$build" -j "${BERTH_JOBS:-$(nproc)}"
}

# The unit, C ABI (c_*) and CLI (cli*) tests of build-fuzz. Reports go to files (log_path), so a
# sanitizer error in a process whose exit status a test ignores still fails the run.
sanitized_tests() {
  local reports=$build/sanitizer-reports
  rm -rf "$reports" && mkdir -p "$reports"
  ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:log_path=$reports/asan" \
    UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan" \
    ctest --test-dir "$build" -R '^(unit|c_.*|cli.*)$' --output-on-failure --timeout 900
  local rc=$?
  if compgen -G "$reports/*" >/dev/null; then
    echo "sanitizers: reports in $reports:" >&2
    for f in "$reports"/*; do
      echo "---- $f" >&2
      head -n 60 "$f" >&2
    done
    rc=1
  else
    echo "sanitizers: no ASan, LSan or UBSan reports"
  fi
  return $rc
}

dict_for() {
  case $1 in
  tar_stream | tar_archive) echo fuzz/dict/tar.dict ;;
  sts_reply) echo fuzz/dict/xml.dict ;;
  reference | challenge | digest | aws_ini | decompress_gzip | decompress_zstd | sbom_*) ;;
  *) echo fuzz/dict/json.dict ;;
  esac
}

run_targets() {
  local seconds=$1
  shift
  local targets=("$@")
  if ((${#targets[@]} == 0)); then
    for f in fuzz/*.cpp; do targets+=("$(basename "$f" .cpp)"); done
  fi
  local failed=0 total_execs=0
  local summary=()
  # Scratch directories of targets that crashed (fuzz_input.hpp removes its own at exit).
  for d in /dev/shm/berth-fuzz-*; do
    [[ -d $d ]] && ! kill -0 "${d##*-}" 2>/dev/null && rm -rf "$d"
  done
  for t in "${targets[@]}"; do
    local bin=$build/fuzz/fuzz_$t
    if [[ ! -x $bin ]]; then
      echo "fuzz: no target '$t' ($bin)" >&2
      return 2
    fi
    local corpus=$build/fuzz-corpus/$t artifacts=$build/fuzz-artifacts/$t log=$build/fuzz-logs/$t.log
    rm -rf "$artifacts" && mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
    local dirs=("$corpus" "fuzz/corpus/$t")
    [[ -d fuzz/regressions/$t ]] && dirs+=("fuzz/regressions/$t")
    local dict
    dict=$(dict_for "$t")
    # One worker; inputs up to 64 KiB; 10 s per input and 2 GiB at most (beyond either
    # is a finding: berth must answer bounded inputs in bounded time and memory).
    ASAN_OPTIONS="detect_leaks=1" UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
      "$bin" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$artifacts/" ${dict:+-dict="$dict"} \
      "${dirs[@]}" >"$log" 2>&1
    local rc=$?
    local execs secs crashes corpus_size
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    secs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    crashes=$(find "$artifacts" -type f | wc -l)
    corpus_size=$(find "$corpus" -type f | wc -l)
    if ((rc != 0 || crashes > 0)); then
      failed=1
      echo "fuzz: $t FAILED (exit $rc); log $log, reproducers in $artifacts:" >&2
      grep -E 'ERROR|runtime error|Assertion|SUMMARY|deadly|Test unit written' "$log" | head -n 20 >&2
    fi
    total_execs=$((total_execs + ${execs:-0}))
    summary+=("$(printf '%-26s %12s %9s %8s %8s' "$t" "${execs:-?}" "${secs:-?}" "$corpus_size" "$crashes")")
    echo "fuzz: $t: ${execs:-?} executions, $crashes crashes"
  done
  echo
  printf '%-26s %12s %9s %8s %8s\n' target executions exec/s corpus crashes
  printf '%s\n' "${summary[@]}"
  echo "fuzz: ${#targets[@]} targets, ${seconds}s each, $total_execs executions"
  return $failed
}

case "${1:-}" in
--build) configure_and_build ;;
--tests) configure_and_build && sanitized_tests ;;
-h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' ;;
*)
  seconds=${1:-60}
  [[ $# -gt 0 ]] && shift
  if ! [[ $seconds =~ ^[0-9]+$ ]]; then
    echo "usage: scripts/fuzz.sh [SECONDS [TARGET...]] | --tests | --build" >&2
    exit 2
  fi
  configure_and_build && run_targets "$seconds" "$@"
  ;;
esac
