#!/usr/bin/env bash
# Makes an image with umoci holding a dpkg status file and a Python dist-info, then
# runs the C SBOM test on it. Exits 77 (ctest: skipped) without umoci.
set -euo pipefail
bin=$1
command -v umoci >/dev/null || { echo "skipped: needs umoci"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/var/lib/dpkg" "$work/root/usr/lib/python3/dist-packages/c_abi_demo-0.1.dist-info"
printf 'Package: libfoo1\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:2.0-1\n\n' \
  >"$work/root/var/lib/dpkg/status"
printf 'Metadata-Version: 2.1\nName: C_ABI_Demo\nVersion: 0.1\n' \
  >"$work/root/usr/lib/python3/dist-packages/c_abi_demo-0.1.dist-info/METADATA"
umoci init --layout "$work/layout"
umoci new --image "$work/layout:v1"
umoci insert --image "$work/layout:v1" "$work/root/var" /var >/dev/null
umoci insert --image "$work/layout:v1" "$work/root/usr" /usr >/dev/null
"$bin" "$work/layout"
