#!/usr/bin/env bash
# Installs berth from a release archive: the .tar.gz that `cpack` makes (a `cmake
# --install` tree under one top directory) and the .sha256 file cpack writes beside it.
# The action's install step (action.yml, release-url) runs this; it runs by hand too.
#
#   install_release.sh URL DEST [SHA256]
#
# URL is http(s):// or file://. The archive is checked against SHA256 when it is given
# (hex; the stronger check, since it does not come from where the archive does), else
# against URL.sha256 ("<hex>  <file name>", as cpack and sha256sum write it). An archive
# without either, or that matches neither, is refused and nothing is installed. DEST is
# replaced by the unpacked archive; its bin/berth is what to run.
set -euo pipefail
fail() {
  # In a workflow an error annotation (on stdout, where the runner reads commands).
  if [[ -n ${GITHUB_ACTIONS:-} ]]; then echo "::error title=berth::$*"; else echo "install_release.sh: $*" >&2; fi
  exit 1
}
(($# == 2 || $# == 3)) || fail "usage: install_release.sh URL DEST [SHA256]"
url=$1 dest=$2 expected=${3:-}
work=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/berth-release.XXXXXX")
trap 'rm -rf "$work"' EXIT
archive=$work/berth.tar.gz

echo "downloading $url"
curl -fsSL --retry 3 -o "$archive" "$url" || fail "cannot download $url"
if [[ -n $expected ]]; then
  from="release-sha256"
else
  from="$url.sha256"
  curl -fsSL --retry 3 -o "$work/sha256" "$url.sha256" ||
    fail "no checksum for $url: $url.sha256 cannot be downloaded (cpack writes it beside the archive; publish it, or give release-sha256)"
  expected=$(head -c 4096 "$work/sha256" | awk 'NR == 1 {print $1}')
fi
expected=$(tr '[:upper:]' '[:lower:]' <<<"$expected")
[[ $expected =~ ^[0-9a-f]{64}$ ]] || fail "the checksum from $from is not a SHA-256 (64 hex digits)"
got=$(sha256sum "$archive" | cut -c1-64)
[[ $got == "$expected" ]] ||
  fail "release archive SHA-256 is $got, expected $expected (from $from): refusing $url"
echo "SHA-256 $got matches $from"

rm -rf "$dest"
mkdir -p "$dest"
tar -xzf "$archive" -C "$dest" --no-same-owner || { rm -rf "$dest"; fail "cannot unpack $url"; }
