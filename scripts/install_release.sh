#!/usr/bin/env bash
# Installs berth from a release archive: the .tar.gz that `cpack` makes (a `cmake
# --install` tree under one top directory) and the .sha256 file cpack writes beside it.
# The action's install step (action.yml, release-url) runs this; it runs by hand too.
#
#   install_release.sh URL DEST [SHA256]
#
# URL is http(s):// or file://. The archive is checked against SHA256 when it is given
# (hex; the stronger check, since it does not come from where the archive does), else
# against URL.sha256 ("<hex>  <file name>", as cpack and sha256sum write it; over https,
# or http on loopback only). An archive without either, or that matches neither, is
# refused and nothing is installed. DEST is replaced by the unpacked archive only once
# it unpacked whole; its bin/berth is what to run.
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

# A checksum fetched over plain http proves nothing: whoever can swap the archive in
# transit can swap it too. Loopback (a local mirror, the tests) is not in transit.
if [[ -z $expected && $url == http://* && ! $url =~ ^http://(127\.[0-9.]+|localhost|\[::1\])(:[0-9]+)?/ ]]; then
  fail "$url is plain http: give release-sha256, or serve the release over https"
fi

echo "downloading $url"
curl -fsSL --retry 3 -o "$archive" "$url" || fail "cannot download $url"
if [[ -n $expected ]]; then
  from="release-sha256"
else
  # The .sha256 beside the archive: after its path, before any query (a presigned URL).
  base=${url%%\?*} query=
  [[ $url == *\?* ]] && query="?${url#*\?}"
  sum_url="$base.sha256$query"
  from="$base.sha256"
  curl -fsSL --retry 3 -o "$work/sha256" "$sum_url" ||
    fail "no checksum for $url: $from cannot be downloaded (cpack writes it beside the archive; publish it, or give release-sha256)"
  expected=$(head -c 4096 "$work/sha256" | awk 'NR == 1 {print $1}')
fi
expected=$(tr '[:upper:]' '[:lower:]' <<<"$expected")
[[ $expected =~ ^[0-9a-f]{64}$ ]] || fail "the checksum from $from is not a SHA-256 (64 hex digits)"
got=$(sha256sum "$archive" | cut -c1-64)
[[ $got == "$expected" ]] ||
  fail "release archive SHA-256 is $got, expected $expected (from $from): refusing $url"
echo "SHA-256 $got matches $from"

# Unpacked beside DEST, then swapped in: a failed unpack leaves an earlier install whole.
parent=$(dirname "$dest")
mkdir -p "$parent"
tree=$(mktemp -d "$parent/.berth-unpack.XXXXXX")
trap 'rm -rf "$work" "$tree"' EXIT
tar -xzf "$archive" -C "$tree" --no-same-owner || fail "cannot unpack $url"
find "$tree" -path '*/bin/berth' -type f | grep -q . || fail "no bin/berth in the release archive $url"
rm -rf "$dest"
mv "$tree" "$dest"
