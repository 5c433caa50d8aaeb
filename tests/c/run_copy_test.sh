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
# Signing keys for berth_sign/berth_verify (ECDSA P-256, as cosign makes them).
for k in a b; do
  openssl ecparam -name prime256v1 -genkey -noout -out "$work/$k.key" 2>/dev/null
  openssl ec -in "$work/$k.key" -pubout -out "$work/$k.pub" 2>/dev/null
done
"$bin" "$work/src" "$work"
