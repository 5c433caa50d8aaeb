#!/usr/bin/env bash
# Image transfer: berth copy vs skopeo copy vs crane vs a raw curl floor, against two
# local docker-registry instances (issue #3).
#
#   benchmarks/run_transfer.sh
#
# Builds bin/berth if needed (Release, in $BERTH_BENCH_BUILD_DIR, default build-bench/),
# builds a multi-layer OCI layout of ~330 MB of gzip layers from system directories
# once (cached in $BENCH_CACHE, default /tmp/berth-bench-cache), starts two registries
# with tests/servers/stack.py and measures, for each tool, in the same run:
#   push   layout -> registry, a new repository each round
#   noop   the same push again (everything is there)
#   pull   registry -> a new layout directory
#   copy   registry A -> registry B (a second instance, so the bytes really move)
#   push-wan, pull-wan, copy-wan  the same through transfer/wan_proxy.py: 10 ms each
#          way (20 ms RTT) and 50 MB/s per connection between client and registries
#   replicate  berth replicate A -> B, C, D (two more registries) against one copy,
#          and the blob GETs on A from its access log (each blob read once?)
# Wall time (median of the rounds), MB/s, peak RSS (/usr/bin/time %M) and CPU time,
# then the ratios against the goals: push >= 1.5x skopeo, pull >= 2.5x, copy >= 1.5x,
# ahead of crane on each, no-op re-push <= 50 ms, peak RSS <= 64 MB.
# The tools run unpinned with their default parallelism (berth --jobs 4, skopeo 6
# layers at a time, crane GOMAXPROCS, the curl floor 4 at a time): the registries
# share the 2 cores, and a pinned client would measure the scheduler instead.
# skopeo runs with an empty blob-info cache each time (transfer/fresh_blob_cache.sh)
# so that it uploads rather than mounts what it saw in earlier rounds.
#
# Environment:
#   BENCH_TRANSFER_REPS  rounds, the median is reported (default 5; BENCH_REPS is
#                        used when this is unset and BENCH_REPS is)
#   BENCH_TRANSFER_TOOLS comma list out of berth,skopeo,crane,curl (default all)
#   BENCH_TRANSFER_OPS   comma list out of push,noop,pull,copy,push-wan,pull-wan,
#                        copy-wan,replicate (default all)
#   BENCH_TRANSFER_WAN_REPS  rounds that include the *-wan ops (default 3)
#   BENCH_TRANSFER_WAN_DELAY_MS, BENCH_TRANSFER_WAN_RATE  one-way delay (default 10)
#                        and bytes/s per connection and direction (default 50e6)
#   BENCH_TRANSFER_DIRS  the fixture's layers, DIR[:/DEST],... (default
#                        /usr/lib/x86_64-linux-gnu, $(go env GOROOT), /usr/include,
#                        /usr/lib/python3: ~330 MB gzip on Debian 12)
#   BENCH_CACHE          fixture cache directory (default /tmp/berth-bench-cache)
#   BENCH_ENFORCE        1: exit 1 when a goal is missed (default: report only)
#   BERTH_BENCH_BUILD_DIR, BERTH_CRANE (default .tools/bin/crane, else crane on PATH)
# A peer that is not installed is reported as n/a. Takes about 1.5 minutes with a warm
# cache (plus ~3 the first time, to build the fixture).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
build=${BERTH_BENCH_BUILD_DIR:-$repo/build-bench}
cache=${BENCH_CACHE:-/tmp/berth-bench-cache}
reps=${BENCH_TRANSFER_REPS:-${BENCH_REPS:-5}}
crane=${BERTH_CRANE:-}
if [[ -z $crane ]]; then
  if [[ -x $repo/.tools/bin/crane ]]; then crane=$repo/.tools/bin/crane
  else crane=$(command -v crane || true); fi
fi

for tool in /usr/bin/time docker-registry python3; do
  command -v "$tool" >/dev/null || { echo "transfer: $tool is required" >&2; exit 1; }
done

if [[ ! -f $build/build.ninja ]]; then
  echo "transfer: configuring $build (Release)" >&2
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
if ! log=$(ninja -C "$build" bin/berth 2>&1); then
  echo "$log" >&2
  exit 1
fi

args=(--berth "$build/bin/berth" --crane "$crane" --stack "$repo/tests/servers/stack.py"
      --cache "$cache" --reps "$reps"
      --tools "${BENCH_TRANSFER_TOOLS:-berth,skopeo,crane,curl}"
      --ops "${BENCH_TRANSFER_OPS:-push,noop,pull,copy,push-wan,pull-wan,copy-wan,replicate}"
      --wan-reps "${BENCH_TRANSFER_WAN_REPS:-3}"
      --wan-delay-ms "${BENCH_TRANSFER_WAN_DELAY_MS:-10}"
      --wan-rate "${BENCH_TRANSFER_WAN_RATE:-50e6}")
[[ ${BENCH_ENFORCE:-0} == 1 ]] && args+=(--enforce)
exec python3 "$here/transfer/transfer_bench.py" "${args[@]}"
