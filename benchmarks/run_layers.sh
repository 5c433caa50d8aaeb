#!/usr/bin/env bash
# Layer build: berth build (gzip, gzip -1, zstd) vs umoci insert vs tar | gzip -6,
# tar | pigz -p2 and tar | zstd -T0 -3, on a large real tree and on ~50k small files
# (issue #4).
#
#   benchmarks/run_layers.sh
#
# Builds bin/berth if needed (Release, in $BERTH_BENCH_BUILD_DIR, default build-bench/),
# generates the small-file tree once (cached in $BENCH_CACHE, default
# /tmp/berth-bench-cache), warms the page cache with the inputs and turns each tree
# into one layer with every tool, in rotated order. Prints per tree the median wall
# time, input MB/s, output size (and its ratio to the tar stream), peak RSS
# (/usr/bin/time %M), then the goals: berth's gzip layer at the default level >= 1.6x
# as fast as umoci insert with an output no larger than umoci's on the large tree and
# >= 2x on the small files, and berth's zstd layer >= 300 MB/s of input including tar
# and hashing. Outputs go to a tmpfs (/dev/shm) when there is one so
# that the disk stays out; the tools run unpinned with their default threads (berth
# compresses on all cores, pigz -p2, zstd -T0), on a machine that may be shared.
#
# Environment:
#   BENCH_LAYERS_REPS    rounds per tool and tree, the median is reported (default 3;
#                        BENCH_REPS is used when this is unset and BENCH_REPS is)
#   BENCH_LAYERS_TREES   comma list out of goroot,small (default both)
#   BENCH_LAYERS_TREE    the large tree (default $(go env GOROOT))
#   BENCH_LAYERS_GZIP_LEVELS  gzip levels measured beside the default 3 (default 1,2,4,6)
#   BENCH_LAYERS_OUT     where outputs are written (default /dev/shm, else $TMPDIR)
#   BENCH_CACHE          cache of generated inputs (default /tmp/berth-bench-cache)
#   BENCH_ENFORCE        1: exit 1 when a goal is missed (default: report only)
#   BERTH_BENCH_BUILD_DIR
# A peer that is not installed is reported as n/a. Takes about a minute (plus one the
# first time, to make the small files).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
build=${BERTH_BENCH_BUILD_DIR:-$repo/build-bench}
cache=${BENCH_CACHE:-/tmp/berth-bench-cache}
reps=${BENCH_LAYERS_REPS:-${BENCH_REPS:-3}}

for tool in /usr/bin/time tar python3; do
  command -v "$tool" >/dev/null || { echo "layers: $tool is required" >&2; exit 1; }
done

if [[ ! -f $build/build.ninja ]]; then
  echo "layers: configuring $build (Release)" >&2
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
if ! log=$(ninja -C "$build" bin/berth 2>&1); then
  echo "$log" >&2
  exit 1
fi

args=(--berth "$build/bin/berth" --cache "$cache" --reps "$reps"
      --trees "${BENCH_LAYERS_TREES:-goroot,small}")
[[ -n ${BENCH_LAYERS_OUT:-} ]] && args+=(--out "$BENCH_LAYERS_OUT")
[[ ${BENCH_ENFORCE:-0} == 1 ]] && args+=(--enforce)
exec python3 "$here/layers/layers_bench.py" "${args[@]}"
