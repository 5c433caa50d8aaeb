#!/usr/bin/env bash
# OCI image-layout interoperability between berth and umoci / skopeo.
#
#   tests/layout/test_layout_interop.sh BERTH_LAYOUT_DRIVER
#
# berth_layout_driver (tests/drivers/layout_driver.cpp) is the berth side: "write" and
# "verify".
#   - a layout berth writes must be listed, stat'ed and unpacked by umoci, inspected
#     and copied by skopeo, and survive `umoci gc`;
#   - layouts made by umoci (init + new + insert) and by `skopeo copy` must open in
#     berth with every blob verified, and a tag berth adds must be visible to both;
#   - a corrupted blob must make berth fail.
# Prints "N passed, N failed" and exits non-zero when anything failed.
set -u

driver=${1:?usage: $0 BERTH_LAYOUT_DRIVER}
if [[ ! -x "$driver" ]]; then
  echo "no berth_layout_driver at $driver (build that target first)" >&2
  exit 2
fi
for tool in umoci skopeo tar python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "required tool '$tool' is not installed" >&2
    exit 2
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/berth-layout-interop.XXXXXX")
registry_pid=
cleanup() {
  [[ -n "$registry_pid" ]] && kill "$registry_pid" 2>/dev/null && wait "$registry_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
passed=0
failed=0

# check NAME COMMAND...: runs COMMAND, records the result, shows its output on failure.
check() {
  local name=$1
  shift
  local out
  if out=$("$@" 2>&1); then
    passed=$((passed + 1))
    echo "ok   - $name"
  else
    failed=$((failed + 1))
    echo "FAIL - $name"
    printf '%s\n' "$out" | sed 's/^/       /'
  fi
}

berth_write() { # DIR LAYER TAG
  "$driver" write "$1" "$2" "$3"
}

berth_verify() { # DIR TAG [ADD_TAG]
  "$driver" verify "$1" "$2" ${3:+"$3"}
}

json_field() { # FILE PYTHON-EXPR (on `d`)
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

umoci_lists() { # DIR TAG
  umoci ls --layout "$1" | grep -qx "$2"
}

# expect_failure PATTERN COMMAND...: COMMAND must fail and print PATTERN.
expect_failure() {
  local pattern=$1
  shift
  local out
  if out=$("$@" 2>&1); then
    printf '%s\nunexpectedly succeeded\n' "$out"
    return 1
  fi
  grep -q -- "$pattern" <<<"$out" || {
    printf '%s\nfailed, but without "%s"\n' "$out" "$pattern"
    return 1
  }
}

no_temp_files() { # DIR
  local left
  left=$(find "$1" -name '.berth-tmp-*' -o -name '*.tmp-*')
  [[ -z "$left" ]] || {
    echo "temp files left: $left"
    return 1
  }
}

# --- berth writes, umoci and skopeo read -------------------------------------------

mkdir -p "$work/rootfs/etc" "$work/rootfs/opt/app"
echo "hello from berth" >"$work/rootfs/etc/hello.txt"
printf '#!/bin/sh\necho app\n' >"$work/rootfs/opt/app/run.sh"
chmod 755 "$work/rootfs/opt/app/run.sh"
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
  -C "$work/rootfs" -cf "$work/layer.tar" etc opt

B="$work/berth"
check "berth writes a layout with tag v1" berth_write "$B" "$work/layer.tar" v1
check "berth layout has oci-layout 1.0.0" \
  test "$(json_field "$B/oci-layout" 'd["imageLayoutVersion"]')" = 1.0.0
check "berth left no temp files" no_temp_files "$B"
manifest_digest=$(json_field "$B/index.json" 'd["manifests"][0]["digest"]' 2>/dev/null)
layer_digest="sha256:$(sha256sum "$work/layer.tar" | cut -d' ' -f1)"

check "umoci ls lists berth's tag" umoci_lists "$B" v1
check "umoci stat reads berth's image" \
  bash -c "umoci stat --image '$B:v1' | grep -q 'berth layout interop test'"
check "umoci unpack extracts berth's layer" bash -c "
  umoci unpack --rootless --image '$B:v1' '$work/bundle' >/dev/null &&
  grep -qx 'hello from berth' '$work/bundle/rootfs/etc/hello.txt' &&
  test -x '$work/bundle/rootfs/opt/app/run.sh'"
check "skopeo inspect reads berth's image" bash -c "
  skopeo inspect 'oci:$B:v1' >'$work/inspect.json' &&
  python3 - '$work/inspect.json' '$manifest_digest' '$layer_digest' <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
assert d['Digest'] == sys.argv[2], d['Digest']
assert d['Os'] == 'linux' and d['Architecture'] == 'amd64', d
assert d['Layers'] == [sys.argv[3]], d['Layers']
EOF"
check "skopeo inspect --config matches berth's diff_ids" bash -c "
  skopeo inspect --config 'oci:$B:v1' | grep -q '$layer_digest'"
check "skopeo copies berth's layout" \
  skopeo copy -q "oci:$B:v1" "oci:$work/from-berth:copied"
check "berth verifies skopeo's copy of its layout" berth_verify "$work/from-berth" copied
check "berth verifies its own layout" berth_verify "$B" v1
# A second tag into the same layout, then umoci's garbage collector, which rejects
# any stray non-digest file under blobs/.
check "berth adds a second tag" berth_write "$B" "$work/layer.tar" v2
check "umoci ls still lists v1" umoci_lists "$B" v1
check "umoci ls lists v2" umoci_lists "$B" v2
check "umoci gc accepts berth's layout" umoci gc --layout "$B"
check "berth verifies its layout after umoci gc" berth_verify "$B" v2

# --- umoci writes, berth reads --------------------------------------------------------

U="$work/umoci"
mkdir -p "$work/insert/sub"
echo "inserted by umoci" >"$work/insert/file.txt"
head -c 200000 /dev/urandom >"$work/insert/sub/random.bin"
check "umoci init + new + insert" bash -c "
  umoci init --layout '$U' &&
  umoci new --image '$U:base' &&
  umoci insert --rootless --image '$U:base' '$work/insert' /data"
check "berth opens umoci's layout and verifies all blobs" berth_verify "$U" base berth-tag
check "umoci sees the tag berth added" umoci_lists "$U" berth-tag
check "umoci still sees its own tag" umoci_lists "$U" base
check "umoci stat reads the berth-added tag" umoci stat --image "$U:berth-tag"
check "skopeo inspect reads the berth-added tag" skopeo inspect "oci:$U:berth-tag"
check "berth left no temp files in umoci's layout" no_temp_files "$U"

# --- skopeo writes, berth reads -------------------------------------------------------

S="$work/skopeo"
check "skopeo copy writes a layout" skopeo copy -q "oci:$U:base" "oci:$S:copied"
check "berth opens skopeo's layout and verifies all blobs" berth_verify "$S" copied
check "skopeo copy adds a second image (uncompressed) to the layout" \
  skopeo copy -q --dest-decompress "oci:$B:v1" "oci:$S:second"
check "berth verifies both images in skopeo's layout" berth_verify "$S" second
check "berth refuses an ambiguous empty tag in a two-image layout" \
  expect_failure 'holds 2 images; name one' berth_verify "$S" ""

# --- crane (optional): push berth's layouts to a local registry and pull back ---------

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
crane=${CRANE:-$(command -v crane || true)}
[[ -z "$crane" && -x "$here/../../.tools/bin/crane" ]] && crane="$here/../../.tools/bin/crane"
if [[ -n "$crane" ]]; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  reg="127.0.0.1:$port"
  "$crane" registry serve --address "$reg" >"$work/registry.log" 2>&1 &
  registry_pid=$!
  for _ in $(seq 50); do
    "$crane" catalog --insecure "$reg" >/dev/null 2>&1 && break
    sleep 0.1
  done
  check "berth writes a one-image layout for crane" \
    berth_write "$work/single" "$work/layer.tar" only
  check "crane pushes berth's one-image layout" \
    "$crane" push --insecure "$work/single" "$reg/berth/single:only"
  # crane's full layer validation assumes gzip for remote layers, so the uncompressed
  # image gets the --fast check and a gzip copy (skopeo, verified by berth) the full one.
  check "crane validates the pushed image (--fast: manifest, config, digests)" \
    "$crane" validate --insecure --fast --remote "$reg/berth/single:only"
  check "skopeo recompresses berth's layout with gzip" \
    skopeo copy -q --dest-compress "oci:$work/single:only" "oci:$work/single-gz:only"
  check "berth verifies the gzip layout" berth_verify "$work/single-gz" only
  check "crane pushes and fully validates the gzip image" bash -c "
    '$crane' push --insecure '$work/single-gz' '$reg/berth/single:gz' &&
    '$crane' validate --insecure --remote '$reg/berth/single:gz'"
  check "crane pushes berth's two-tag layout as an index" \
    "$crane" push --insecure --index "$B" "$reg/berth/multi:idx"
  check "crane pulls the index as an OCI layout" \
    "$crane" pull --insecure --format oci "$reg/berth/multi:idx" "$work/crane"
  check "berth verifies crane's layout (nested index, untagged entry)" berth_verify "$work/crane" ""
else
  echo "skip - crane not found (set CRANE=...)"
fi

# --- corruption is caught ---------------------------------------------------------------

C="$work/corrupt"
cp -a "$S" "$C"
victim=$(find "$C/blobs/sha256" -type f -size +1k | head -n 1)
corrupt_blob() {
  [[ -n "$victim" ]] || return 1
  chmod u+w "$victim"
  printf 'X' | dd of="$victim" bs=1 seek=100 conv=notrunc status=none
}
check "a blob of the copied layout is corrupted" corrupt_blob
check "berth detects the corrupted blob" expect_failure 'is corrupt' berth_verify "$C" copied
rm -f "$C/oci-layout"
check "berth refuses a directory without oci-layout" \
  expect_failure 'no oci-layout file' berth_verify "$C" copied

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
