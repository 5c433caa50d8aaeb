#!/usr/bin/env bash
# The inspection commands on OCI layouts (made by umoci), and help: each new command,
# each ecr and aws subcommand has its own --help, and every 'berth ...' command a help
# text names exists. Registries are covered in tests/integration/test_it_inspect.py.
set -uo pipefail
berth=$1
passed=0
failed=0
check() { # name, then a command that must succeed
  local name=$1
  shift
  if "$@"; then passed=$((passed + 1)); else
    failed=$((failed + 1))
    echo "FAIL: $name" >&2
  fi
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- help -----------------------------------------------------------------------
for cmd in manifest inspect ls catalog tag rm validate; do
  check "$cmd --help" bash -c "'$berth' $cmd --help | grep -q '^usage: berth $cmd '"
done
for sub in get-login-password login call ensure-repository put-lifecycle-policy scan-gate \
  put-replication-configuration; do
  check "ecr $sub --help is its own" bash -c \
    "out=\$('$berth' ecr $sub --help) && head -1 <<<\"\$out\" | grep -q '^usage: berth ecr $sub' && ! grep -q '^       berth ecr' <<<\"\$out\""
done
for sub in credentials whoami; do
  check "aws $sub --help is its own" bash -c \
    "'$berth' aws $sub --help | head -1 | grep -q '^usage: berth aws $sub'"
done
check "an ecr usage error shows that subcommand's help (exit 2)" bash -c \
  "out=\$('$berth' ecr scan-gate 2>&1 >/dev/null); [[ \$? -eq 2 ]] && grep -q '^usage: berth ecr scan-gate' <<<\"\$out\" && ! grep -q 'get-login-password' <<<\"\$out\""
check "an unknown ecr subcommand is a usage error" bash -c \
  "'$berth' ecr frob --help >/dev/null 2>&1; [[ \$? -eq 2 ]]"
check "replicate --help names put-replication-configuration" bash -c \
  "'$berth' replicate --help | grep -q 'berth ecr put-replication-configuration' && ! '$berth' replicate --help | grep -q PutReplicationConfiguration"
check "index --help documents --annotation" bash -c "'$berth' index --help | grep -q -- '--annotation K=V'"

# Every "'berth X [Y]'" quoted in a help text runs with --help.
helps=$("$berth" --help)
for cmd in $("$berth" --help | awk '/^  [a-z]/ {print $1}'); do
  helps+=$'\n'$("$berth" "$cmd" --help 2>&1)
done
for sub in get-login-password login call ensure-repository put-lifecycle-policy scan-gate \
  put-replication-configuration; do
  helps+=$'\n'$("$berth" ecr "$sub" --help 2>&1)
done
named=$(grep -o "'berth [a-z-]*\( [a-z][a-z-]*\)\?" <<<"$helps" | sed "s/^'berth //" | sort -u)
check "help texts name commands" test -n "$named"
while read -r cmd sub; do
  [[ $sub == COMMAND || $sub == SUBCOMMAND || -z $cmd ]] && continue
  check "named in help: berth $cmd $sub" bash -c "'$berth' $cmd $sub --help >/dev/null 2>&1"
done <<<"$named"

# --- layouts --------------------------------------------------------------------
mkdir -p "$work/root/app" && head -c 200000 /dev/urandom >"$work/root/app/data.bin"
umoci init --layout "$work/src" && umoci new --image "$work/src:v1" &&
  umoci insert --image "$work/src:v1" "$work/root/app" /app >/dev/null
py() { python3 -c "$@"; }
digest=$(py "import json;print(json.load(open('$work/src/index.json'))['manifests'][0]['digest'])")
blob() { echo "$work/src/blobs/sha256/${1#sha256:}"; }
layer=$(py "import json;print(json.load(open('$(blob "$digest")'))['layers'][0]['digest'])")

check "manifest prints the stored bytes exactly" cmp <("$berth" manifest "oci:$work/src:v1") "$(blob "$digest")"
check "manifest --format json names digest and media type" bash -c \
  "'$berth' manifest --format json oci:$work/src:v1 | python3 -c \"import json,sys;d=json.load(sys.stdin);assert d['digest']=='$digest' and d['manifest']['layers'][0]['digest']=='$layer', d\""
check "inspect shows the digest and the layer" bash -c \
  "out=\$('$berth' inspect oci:$work/src:v1) && grep -q '^digest *$digest' <<<\"\$out\" && grep -q 'layer *$layer' <<<\"\$out\""
check "inspect --format json" bash -c \
  "'$berth' inspect --format json oci:$work/src:v1 | python3 -c \"import json,sys;d=json.load(sys.stdin);i=d['images'][0];assert i['platform']=='linux/amd64' and i['layers'][0]['digest']=='$layer', d\""
check "tag adds tags" bash -c "[[ \$('$berth' tag oci:$work/src:v1 v2 v3 2>/dev/null) == '$digest' ]]"
check "tag again skips" bash -c \
  "'$berth' tag --format json oci:$work/src:v1 v2 2>/dev/null | grep -q '\"tagged\":\[\],\"skipped\":\[\"v2\"\]'"
check "ls lists the layout's tags" bash -c "[[ \$('$berth' ls oci:$work/src | tr '\n' ' ') == 'v1 v2 v3 ' ]]"
check "umoci sees the new tag" bash -c "umoci ls --layout '$work/src' | grep -qx v3"
check "tag refuses a reference as TAG (2)" bash -c "'$berth' tag oci:$work/src:v1 repo:x >/dev/null 2>&1; [[ \$? -eq 2 ]]"
check "validate passes a sound layout" bash -c "'$berth' validate oci:$work/src:v1 | grep -q '^ok $digest'"
check "rm refuses a layout" bash -c "'$berth' rm oci:$work/src:v1 >/dev/null 2>&1; [[ \$? -ne 0 ]]"
check "--format is checked (2)" bash -c "'$berth' ls --format yaml oci:$work/src >/dev/null 2>&1; [[ \$? -eq 2 ]]"

cp -r "$work/src" "$work/bad"
bad_layer="$work/bad/blobs/sha256/${layer#sha256:}"
chmod u+w "$bad_layer" && printf 'X' | dd of="$bad_layer" bs=1 seek=100 conv=notrunc 2>/dev/null
check "validate finds the corrupt layer (exit 4)" bash -c \
  "out=\$('$berth' validate oci:$work/bad:v1 2>/dev/null); rc=\$?; [[ \$rc -eq 4 ]] && grep -q '^FAIL layer $layer' <<<\"\$out\""
check "validate --format json reports it" bash -c \
  "'$berth' validate --format json oci:$work/bad:v1 2>/dev/null | python3 -c \"import json,sys;d=json.load(sys.stdin);assert not d['ok'] and [f['digest'] for f in d['failures']]==['$layer'], d\""
check "validate of a missing tag is not a gate failure" bash -c \
  "'$berth' validate oci:$work/src:nope >/dev/null 2>&1; [[ \$? -eq 1 ]]"

# index --annotation: an OCI index carrying the annotation.
check "index --annotation" bash -c \
  "'$berth' index --quiet oci:$work/src:v1 --annotation org.example.k=v1 --output oci:$work/idx:i >/dev/null && '$berth' manifest oci:$work/idx:i | python3 -c \"import json,sys;d=json.load(sys.stdin);assert d['mediaType']=='application/vnd.oci.image.index.v1+json' and d['annotations']=={'org.example.k':'v1'}, d\""
check "index --annotation refuses a Docker manifest list" bash -c \
  "out=\$('$berth' index oci:$work/src:v1 --format docker --annotation k=v --output oci:$work/idx3:i 2>&1 >/dev/null); [[ \$? -eq 1 ]] && grep -q 'no annotations' <<<\"\$out\""
check "index --annotation needs K=V (2)" bash -c \
  "'$berth' index oci:$work/src:v1 --annotation nope --output oci:$work/idx2:i >/dev/null 2>&1; [[ \$? -eq 2 ]]"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
