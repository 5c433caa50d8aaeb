#!/usr/bin/env bash
# Makes a small image with umoci and runs the C copy test on it.
set -euo pipefail
bin=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/app"
head -c 100000 /dev/urandom >"$work/root/app/data.bin"
umoci init --layout "$work/src"
umoci new --image "$work/src:v1"
umoci insert --image "$work/src:v1" "$work/root/app" /app >/dev/null
mkdir -p "$work/appdir" && head -c 5000 /dev/urandom >"$work/appdir/data.bin"
"$bin" "$work/src" "$work"
