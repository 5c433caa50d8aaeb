#!/usr/bin/env bash
# gzip and zstd layer compression: berth's GzipSink / ZstdSink, LayerPipeline and
# Decompressor against gzip, pigz and zstd, plus the one-core comparison of the gzip
# designs (zlib with a preset dictionary vs libdeflate members).
#
#   benchmarks/run_compress.sh [FILE]      (or: benchmarks/run.sh compress)
#
# Builds berth_compress_bench if needed (Release, in $BERTH_BENCH_BUILD_DIR, default
# build-bench/). Input: FILE, else BERTH_COMPRESS_BENCH_FILE, else a tar of
# $(go env GOROOT) (about 250 MB). Each row is the best of BERTH_COMPRESS_BENCH_REPEAT
# runs (default 2). Unpinned: berth and pigz use two threads. Takes about a minute.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
build=${BERTH_BENCH_BUILD_DIR:-$repo/build-bench}

if [[ ! -f $build/build.ninja ]]; then
  echo "compress: configuring $build (Release)" >&2
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBERTH_BUILD_BENCHMARKS=ON >/dev/null
fi
if ! log=$(ninja -C "$build" berth_compress_bench 2>&1); then
  echo "$log" >&2
  exit 1
fi
exec "$build/benchmarks/berth_compress_bench" "$@"
