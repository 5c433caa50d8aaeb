#!/usr/bin/env bash
# Starts a registry (tests/servers/stack.py), makes a small image with umoci and a
# copy of its layout with one corrupted layer, then runs the C inspection test.
# Exits 77 (ctest: skipped) when the registry or umoci is missing.
set -euo pipefail
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
for tool in python3 umoci "${BERTH_DOCKER_REGISTRY:-docker-registry}"; do
  command -v "$tool" >/dev/null || { echo "skipped: needs $tool"; exit 77; }
done
work=$(mktemp -d)
export DOCKER_CONFIG=$work/docker-config # no credentials of the machine
mkdir -p "$DOCKER_CONFIG"
trap 'python3 "$here/../servers/stack.py" down --state-dir "$work/stack" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
python3 "$here/../servers/stack.py" up --kind plain --state-dir "$work/stack" >/dev/null
# shellcheck disable=SC1091
. "$work/stack/stack.env"

mkdir -p "$work/root/app"
head -c 100000 /dev/urandom >"$work/root/app/data.bin"
umoci init --layout "$work/src"
umoci new --image "$work/src:v1"
umoci insert --image "$work/src:v1" "$work/root/app" /app >/dev/null
cp -r "$work/src" "$work/bad"
manifest=$(python3 -c "import json;print(json.load(open('$work/src/index.json'))['manifests'][0]['digest'].split(':')[1])")
layer=$(python3 -c "import json;print(json.load(open('$work/src/blobs/sha256/$manifest'))['layers'][0]['digest'].split(':')[1])")
chmod u+w "$work/bad/blobs/sha256/$layer"
printf 'X' | dd of="$work/bad/blobs/sha256/$layer" bs=1 seek=500 conv=notrunc 2>/dev/null

"$bin" "$work/src" "$work/bad" "sha256:$layer" "$BERTH_TEST_REGISTRY" "$work"
