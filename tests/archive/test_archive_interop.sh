#!/usr/bin/env bash
# oci-archive and docker-archive interoperability between berth and skopeo.
#
#   tests/archive/test_archive_interop.sh BERTH_CLI
#
# An image made with umoci (init + new + insert, gzip layers) is the source.
#   - archives berth writes must be inspected and copied by skopeo, with the same
#     config and layers (skopeo decompresses docker-archive layers, so there the
#     layers compare as diff_ids), and unpacked by GNU tar as plain tars;
#   - archives skopeo writes must be read by berth with the same config digest and
#     diff_ids (and, for oci-archive, the same manifest digest);
#   - a truncated or corrupt archive must fail with a clear message, and a failed
#     copy must leave no archive and no temp files behind.
# Prints "N passed, N failed" and exits non-zero when anything failed.
set -u

berth=${1:?usage: $0 BERTH_CLI}
if [[ ! -x "$berth" ]]; then
  echo "no berth CLI at $berth" >&2
  exit 2
fi
for tool in umoci skopeo tar gzip python3; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "required tool '$tool' is not installed" >&2
    exit 2
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/berth-archive-interop.XXXXXX")
trap 'rm -rf "$work"' EXIT
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

# image_facts LAYOUT TAG: "<manifest digest> <config digest> <layer digests,> <diff_ids,>
# <layer media types,>" of an image in an OCI layout.
image_facts() {
  python3 - "$1" "$2" <<'EOF'
import json, sys
root, tag = sys.argv[1], sys.argv[2]
def blob(d):
    alg, hex_ = d.split(':')
    return open('%s/blobs/%s/%s' % (root, alg, hex_), 'rb').read()
idx = json.load(open(root + '/index.json'))
desc = [m for m in idx['manifests']
        if m.get('annotations', {}).get('org.opencontainers.image.ref.name') == tag][0]
man = json.loads(blob(desc['digest']))
cfg = json.loads(blob(man['config']['digest']))
print(desc['digest'], man['config']['digest'],
      ','.join(l['digest'] for l in man['layers']),
      ','.join(cfg['rootfs']['diff_ids']),
      ','.join(l['mediaType'] for l in man['layers']))
EOF
}

field() { # FACTS N
  awk -v n="$2" '{print $n}' <<<"$1"
}

same() { # WHAT EXPECTED GOT
  [[ "$2" == "$3" ]] || {
    printf '%s differ:\n  expected %s\n  got      %s\n' "$1" "$2" "$3"
    return 1
  }
}

no_leftovers() { # DIR
  local left
  left=$(find "$1" -maxdepth 1 -name '.*berth-*')
  [[ -z "$left" ]] || {
    echo "left behind: $left"
    return 1
  }
}

# --- the source image, made by umoci --------------------------------------------------

SRC="$work/src"
mkdir -p "$work/l1/etc" "$work/l2/bin"
echo "hello from umoci" >"$work/l1/etc/hello.txt"
head -c 300000 /dev/urandom >"$work/l2/bin/blob"
check "umoci init + new + insert (two layers)" bash -c "
  umoci init --layout '$SRC' >/dev/null &&
  umoci new --image '$SRC:t' >/dev/null &&
  umoci insert --rootless --image '$SRC:t' '$work/l1/etc' /etc >/dev/null &&
  umoci insert --rootless --image '$SRC:t' '$work/l2/bin' /bin >/dev/null"
src=$(image_facts "$SRC" t)
src_manifest=$(field "$src" 1)
src_config=$(field "$src" 2)
src_layers=$(field "$src" 3)
src_diff_ids=$(field "$src" 4)

# --- berth writes, skopeo reads ---------------------------------------------------------

BD="$work/berth-docker.tar"
BO="$work/berth-oci.tar"
check "berth copy oci: -> docker-archive:FILE:REF" \
  "$berth" copy --quiet "oci:$SRC:t" "docker-archive:$BD:example.com/team/app:v1"
check "berth copy oci: -> oci-archive:FILE:TAG" "$berth" copy --quiet "oci:$SRC:t" "oci-archive:$BO:t"
check "berth left no staging or temp files" no_leftovers "$work"
check "berth's archives are deterministic" bash -c "
  '$berth' copy --quiet 'oci:$SRC:t' 'docker-archive:$work/again.tar:example.com/team/app:v1' &&
  cmp '$BD' '$work/again.tar' && rm '$work/again.tar'"
check "GNU tar lists berth's docker-archive (sorted, manifest.json last)" bash -c "
  tar -tf '$BD' >'$work/list' && sort -c '$work/list' && tail -1 '$work/list' | grep -qx manifest.json"
check "GNU tar extracts berth's oci-archive into a layout skopeo reads" bash -c "
  mkdir '$work/x' && tar -xf '$BO' -C '$work/x' &&
  skopeo inspect 'oci:$work/x:t' | grep -q '$src_manifest'"

check "skopeo inspect docker-archive: (config, diff_ids, tag)" bash -c "
  skopeo inspect --raw 'docker-archive:$BD' >'$work/raw.json' &&
  skopeo inspect 'docker-archive:$BD' >'$work/inspect.json' &&
  python3 - '$work/raw.json' '$work/inspect.json' '$src_config' '$src_diff_ids' <<'EOF'
import json, sys
raw, ins = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert raw['config']['digest'] == sys.argv[3], raw
# skopeo serves docker-archive layers uncompressed: its layers are the diff_ids.
assert ins['Layers'] == sys.argv[4].split(','), ins['Layers']
EOF"
# dir: keeps skopeo's view byte for byte (blobs named by digest, manifest as served);
# oci: makes skopeo convert to OCI, re-serialising the config and recompressing.
check "skopeo copy docker-archive: -> dir:" skopeo copy -q "docker-archive:$BD" "dir:$work/sdir"
sdir=$(python3 - "$work/sdir" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1] + '/manifest.json'))
cfg = m['config']['digest']
open(sys.argv[1] + '/' + cfg.split(':')[1], 'rb').close()  # present under its digest
print(cfg, ','.join(l['digest'] for l in m['layers']))
EOF
)
check "  ... config digest" same "config digest" "$src_config" "$(field "$sdir" 1)"
check "  ... layers (skopeo serves them uncompressed: diff_ids)" \
  same "layers" "$src_diff_ids" "$(field "$sdir" 2)"
check "skopeo copy docker-archive: -> oci:" skopeo copy -q "docker-archive:$BD" "oci:$work/sd:t"
sd=$(image_facts "$work/sd" t 2>/dev/null || true)
check "  ... diff_ids" same "diff_ids" "$src_diff_ids" "$(field "$sd" 4)"
check "  ... the same config content" python3 -c '
import json, sys
def cfg(root, d):
    return json.load(open("%s/blobs/sha256/%s" % (root, d.split(":")[1])))
assert cfg(sys.argv[1], sys.argv[2]) == cfg(sys.argv[3], sys.argv[4])
' "$SRC" "$src_config" "$work/sd" "$(field "$sd" 2)"
check "skopeo copy docker-archive:FILE:REF selects berth's tag" \
  skopeo copy -q "docker-archive:$BD:example.com/team/app:v1" "oci:$work/sd:t2"

check "skopeo inspect oci-archive: gives the source manifest digest" bash -c "
  skopeo inspect 'oci-archive:$BO:t' | grep -q '\"Digest\": \"$src_manifest\"'"
check "skopeo copy oci-archive: -> oci: keeps every digest" \
  skopeo copy -q "oci-archive:$BO:t" "oci:$work/so:t"
so=$(image_facts "$work/so" t 2>/dev/null || true)
check "  ... manifest digest" same "manifest digest" "$src_manifest" "$(field "$so" 1)"
check "  ... layers" same "layers" "$src_layers" "$(field "$so" 3)"

# --- skopeo writes, berth reads ---------------------------------------------------------

SD="$work/skopeo-docker.tar"
SO="$work/skopeo-oci.tar"
check "skopeo copy oci: -> docker-archive:FILE:ref" \
  skopeo copy -q "oci:$SRC:t" "docker-archive:$SD:example.com/team/app:v1"
check "skopeo copy oci: -> oci-archive:FILE:t" skopeo copy -q "oci:$SRC:t" "oci-archive:$SO:t"

check "berth copy skopeo's docker-archive -> oci:" \
  "$berth" copy --quiet "docker-archive:$SD" "oci:$work/bd:t"
bd=$(image_facts "$work/bd" t 2>/dev/null || true)
check "  ... config digest" same "config digest" "$src_config" "$(field "$bd" 2)"
check "  ... diff_ids" same "diff_ids" "$src_diff_ids" "$(field "$bd" 4)"
check "  ... layers are skopeo's uncompressed tars (digest = diff_id)" \
  same "layers" "$src_diff_ids" "$(field "$bd" 3)"
check "  ... as OCI uncompressed layers (docker-archive into oci: converts)" \
  same "media types" "application/vnd.oci.image.layer.v1.tar,application/vnd.oci.image.layer.v1.tar" \
  "$(field "$bd" 5)"
check "  ... which umoci unpacks into the source's files" bash -c "
  umoci unpack --rootless --image '$work/bd:t' '$work/bd-rootfs' >/dev/null &&
  grep -qx 'hello from umoci' '$work/bd-rootfs/rootfs/etc/hello.txt' &&
  cmp '$work/l2/bin/blob' '$work/bd-rootfs/rootfs/bin/blob'"
check "berth selects skopeo's RepoTag (docker.io/... form) by REF" \
  "$berth" copy --quiet "docker-archive:$SD:example.com/team/app:v1" "oci:$work/bd:t2"
check "berth reads skopeo's docker-archive gzipped as a whole, and from a pipe" bash -c "
  gzip -c '$SD' >'$work/sd.tar.gz' &&
  '$berth' copy --quiet 'docker-archive:$work/sd.tar.gz' 'oci:$work/bd:gz' &&
  '$berth' copy --quiet docker-archive:/dev/stdin 'oci:$work/bd:pipe' <'$SD'"
check "berth copy skopeo's oci-archive -> oci: keeps the manifest digest" bash -c "
  test \"\$('$berth' copy --quiet 'oci-archive:$SO:t' 'oci:$work/bo:t')\" = '$src_manifest'"

# --- berth round trip and skopeo re-reading berth's conversions ---------------------------

check "berth docker-archive -> oci: keeps config and the gzip layers" bash -c "
  '$berth' copy --quiet 'docker-archive:$BD:example.com/team/app:v1' 'oci:$work/rt:t' >/dev/null"
rt=$(image_facts "$work/rt" t 2>/dev/null || true)
check "  ... config digest" same "config digest" "$src_config" "$(field "$rt" 2)"
check "  ... layers" same "layers" "$src_layers" "$(field "$rt" 3)"
check "  ... OCI gzip media types" same "media types" \
  "application/vnd.oci.image.layer.v1.tar+gzip,application/vnd.oci.image.layer.v1.tar+gzip" \
  "$(field "$rt" 5)"
check "berth docker-archive -> oci-archive: is OCI too, and skopeo agrees on the digest" bash -c "
  d=\$('$berth' copy --quiet 'docker-archive:$BD' 'oci-archive:$work/rt.tar:t') &&
  skopeo inspect --raw 'oci-archive:$work/rt.tar:t' | grep -q 'application/vnd.oci.image.manifest.v1+json' &&
  skopeo inspect 'oci-archive:$work/rt.tar:t' | grep -q \"\\\"Digest\\\": \\\"\$d\\\"\""
check "skopeo reads berth's docker-archive made from skopeo's docker-archive" bash -c "
  '$berth' copy --quiet 'docker-archive:$SD' 'docker-archive:$work/re.tar:re:1' >/dev/null &&
  skopeo inspect 'docker-archive:$work/re.tar' | grep -q '$(cut -d, -f1 <<<"$src_diff_ids")'"
# As docker load does it: manifest.json's layers in order, each a (gzip) tar. umoci 0.4
# ends its layer tars without the last entry's padding and the zero-block trailer
# (GNU tar and Python report an unexpected EOF), so zeros are appended before reading.
unpack_docker_archive() { # ARCHIVE DIR
  python3 - "$1" "$2" <<'EOF'
import gzip, io, json, sys, tarfile
with tarfile.open(sys.argv[1]) as archive:
    item = json.load(archive.extractfile('manifest.json'))[0]
    for name in item['Layers']:
        data = gzip.decompress(archive.extractfile(name).read()) + bytes(2048)
        with tarfile.open(fileobj=io.BytesIO(data)) as layer:
            layer.extractall(sys.argv[2])
EOF
}
check "the layers of a docker-archive berth wrote from its oci-archive unpack as the source" bash -c "
  '$berth' copy --quiet 'oci-archive:$BO:t' 'docker-archive:$work/both.tar' >/dev/null &&
  $(declare -f unpack_docker_archive) && unpack_docker_archive '$work/both.tar' '$work/rootfs' &&
  grep -qx 'hello from umoci' '$work/rootfs/etc/hello.txt' &&
  cmp '$work/l2/bin/blob' '$work/rootfs/bin/blob'"

# --- failures ------------------------------------------------------------------------

size=$(stat -c %s "$BD")
head -c $((size / 2)) "$BD" >"$work/cut.tar"
check "a truncated docker-archive is reported as truncated" \
  expect_failure 'truncated' "$berth" copy "docker-archive:$work/cut.tar" "oci:$work/none:t"
head -c $((size / 2)) "$BO" >"$work/cut-oci.tar"
check "a truncated oci-archive fails clearly" \
  expect_failure "oci-archive '$work/cut-oci.tar'" "$berth" copy "oci-archive:$work/cut-oci.tar:t" "oci:$work/none:t"
check "skopeo's docker-archive read as oci-archive points at docker-archive:" \
  expect_failure 'docker-archive:' "$berth" copy "oci-archive:$SD" "oci:$work/none:t"
# Flip one byte in the middle of the big (second) layer of berth's oci-archive.
python3 - "$BO" "$work/bad-oci.tar" "$(cut -d, -f2 <<<"$src_layers")" <<'EOF'
import sys, tarfile
src, dst, digest = sys.argv[1], sys.argv[2], sys.argv[3]
data = bytearray(open(src, 'rb').read())
with tarfile.open(src) as t:
    m = t.getmember('blobs/sha256/' + digest.split(':')[1])
    data[m.offset_data + m.size // 2] ^= 0x01
open(dst, 'wb').write(data)
EOF
mkdir -p "$work/fail"
echo "previous" >"$work/fail/keep.tar"
check "a corrupt blob fails the copy (digest mismatch)" \
  expect_failure 'corrupt' "$berth" copy "oci-archive:$work/bad-oci.tar:t" "docker-archive:$work/fail/new.tar"
check "  ... and leaves no archive behind" test ! -e "$work/fail/new.tar"
check "  ... nor replaces an existing one" bash -c "
  ! '$berth' copy 'oci-archive:$work/bad-oci.tar:t' 'oci-archive:$work/fail/keep.tar' 2>/dev/null &&
  test \"\$(cat '$work/fail/keep.tar')\" = previous"
check "  ... nor staging or temp files" no_leftovers "$work/fail"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
