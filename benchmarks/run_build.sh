#!/usr/bin/env bash
# Dockerfile builds: berth build -f vs BuildKit (buildkitd + buildctl) and buildah bud
# (vfs, chroot), cold and cached, on a busybox base and a multi-stage Debian one, with a
# copy of a Go source tree (issues #22, #23). Run as root (buildkitd, buildah's vfs store
# and chroot isolation need it; berth would run rootless too).
#
#   benchmarks/run.sh build      (or benchmarks/run_build.sh [--only builds|ci])
#
# Environment:
#   BENCH_DOCKERFILE_REPS  rounds, the median is reported (default 3, else BENCH_REPS)
#   BENCH_DOCKERFILE_TREE  the tree COPY'd (default $(go env GOROOT)/src/net)
#   BERTH_BENCH_BUILD_DIR  where berth is built (Release; default build-bench/)
# BuildKit or buildah missing is reported as n/a; no mmdebstrap, no Debian case.
# Takes a few minutes.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
build=${BERTH_BENCH_BUILD_DIR:-$repo/build-bench}
reps=${BENCH_DOCKERFILE_REPS:-${BENCH_REPS:-3}}
tree=${BENCH_DOCKERFILE_TREE:-$(go env GOROOT)/src/net}

for tool in /usr/bin/time python3 /bin/busybox; do
  [[ -x $tool ]] || command -v "$tool" >/dev/null ||
    { echo "dockerfile: $tool is required" >&2; exit 1; }
done
if [[ ! -f $build/build.ninja ]]; then
  echo "dockerfile: configuring $build (Release)" >&2
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
if ! log=$(ninja -C "$build" bin/berth 2>&1); then
  echo "$log" >&2
  exit 1
fi
exec python3 "$here/dockerfile/dockerfile_bench.py" --berth "$build/bin/berth" --tree "$tree" \
  --reps "$reps" "$@"
