#!/usr/bin/env bash
# Cancellation latency: how long berth (CLI, Python) takes to stop a call waiting on a
# registry that never answers, once asked (benchmarks/cancel/latency.py); skopeo as
# the peer. BENCH_REPS runs each (default 5). Uses build/ (scripts/setup.sh made it).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
build=${BERTH_BENCH_BUILD_DIR:-$root/build}
exec python3 "$here/cancel/latency.py" "$build/bin/berth" "$build/libberth.so" \
  "$root/bindings/python"
