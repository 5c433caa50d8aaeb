#!/usr/bin/env bash
# The berth command line: version, help, sign-request against the AWS suite, usage
# errors and exit codes, and copy between OCI layouts (made by umoci).
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

check "version" bash -c "'$berth' version | grep -Eq '^berth [0-9]+\.[0-9]+\.[0-9]+ \(abi 1\)$'"
for cmd in version sign-request copy; do
  check "$cmd --help" bash -c "'$berth' $cmd --help | grep -q '^usage: berth $cmd'"
done
check "no command is a usage error" bash -c "'$berth' >/dev/null 2>&1; [[ \$? -eq 2 ]]"
check "unknown command" bash -c "'$berth' frobnicate 2>&1 >/dev/null | grep -q \"unknown command 'frobnicate'\""
check "unknown option" bash -c "'$berth' copy --nope a b 2>&1 | grep -q 'unknown option --nope'; [[ \${PIPESTATUS[0]} -eq 2 ]]"

# sign-request reproduces the AWS suite's get-vanilla case.
suite=$(cd "$(dirname "$0")/../data/sigv4/v4/get-vanilla" && pwd)
out=$(AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY \
  "$berth" sign-request --url https://example.amazonaws.com/ --region us-east-1 --service service \
  --timestamp 20150830T123600Z)
check "sign-request canonical request" bash -c "grep -qF \"\$(cat '$suite/header-canonical-request.txt')\" <<<'$out'"
check "sign-request signature" bash -c "grep -q \"Signature=\$(cat '$suite/header-signature.txt')\" <<<'$out'"
check "sign-request never prints the secret" bash -c "! grep -q wJalrXUtnFEMI <<<'$out'"
check "sign-request without credentials is an auth error (3)" bash -c \
  "env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY '$berth' sign-request --url https://x.amazonaws.com/ --region r --service s >/dev/null 2>&1; [[ \$? -eq 3 ]]"

# copy between layouts.
mkdir -p "$work/root/app" && head -c 200000 /dev/urandom >"$work/root/app/data.bin"
umoci init --layout "$work/src" && umoci new --image "$work/src:v1" &&
  umoci insert --image "$work/src:v1" "$work/root/app" /app >/dev/null
src_digest=$(python3 -c "import json,sys;print(json.load(open('$work/src/index.json'))['manifests'][0]['digest'])")
check "copy oci -> oci" bash -c "[[ \$('$berth' copy --quiet oci:$work/src:v1 oci:$work/dst:copied) == '$src_digest' ]]"
check "copied layout opens in umoci" bash -c "umoci stat --image '$work/dst:copied' >/dev/null"
check "re-copy skips every blob" bash -c "'$berth' copy --json oci:$work/src:v1 oci:$work/dst:copied 2>/dev/null | grep -q '\"blobsCopied\":0'"
check "bad reference is a usage error (2)" bash -c "'$berth' copy oci:$work/src:v1 'docker://UPPER/Case:tag' >/dev/null 2>&1; [[ \$? -eq 2 ]]"
check "missing tag is reported" bash -c "'$berth' copy oci:$work/src:nope oci:$work/x 2>&1 | grep -q \"no image tagged 'nope'\""
check "nothing listens -> transfer failure (5)" bash -c "'$berth' copy oci:$work/src:v1 127.0.0.1:1/x:y >/dev/null 2>&1; [[ \$? -eq 5 ]]"

# build: umoci unpacks what berth builds into the source tree; the same inputs and
# SOURCE_DATE_EPOCH give the same digest; gzip -d, zstd -d and tar accept the layers;
# export reproduces the tree.
mkdir -p "$work/tree/sub" && head -c 300000 /dev/urandom >"$work/tree/sub/data.bin"
echo hello >"$work/tree/hello.txt" && ln -s hello.txt "$work/tree/link" && chmod 750 "$work/tree/sub"
mkfifo "$work/tree/fifo"
export SOURCE_DATE_EPOCH=1700000000
d1=$("$berth" build --quiet --layer "$work/tree:/app" --output "oci:$work/b1:v1")
d2=$("$berth" build --quiet --layer "$work/tree:/app" --output "oci:$work/b2:v1")
check "build is reproducible" test -n "$d1" -a "$d1" == "$d2"
dz=$("$berth" build --quiet --layer "$work/tree:/app" --compression zstd --output "oci:$work/bz:v1")
check "zstd build has another digest" test -n "$dz" -a "$dz" != "$d1"
unset SOURCE_DATE_EPOCH
check "umoci unpacks the build" umoci unpack --rootless --image "$work/b1:v1" "$work/unpacked" >/dev/null
check "unpacked tree equals the source" diff -r --no-dereference -x fifo "$work/tree" "$work/unpacked/rootfs/app"
check "fifos stay fifos" test -p "$work/unpacked/rootfs/app/fifo"
check "modes survive" test "$(stat -c %a "$work/unpacked/rootfs/app/sub")" == 750
layer() { python3 -c "import json,sys;d=sys.argv[1];i=json.load(open(d+'/index.json'));m=json.load(open(d+'/blobs/sha256/'+i['manifests'][0]['digest'][7:]));print(d+'/blobs/sha256/'+m['layers'][-1]['digest'][7:])" "$1"; }
check "gzip -d and tar accept the layer" bash -c "gzip -dc '$(layer "$work/b1")' | tar -t >/dev/null"
check "zstd -d and tar accept the layer" bash -c "zstd -dc '$(layer "$work/bz")' | tar -t >/dev/null"
check "export reproduces the tree" bash -c "'$berth' export oci:$work/bz:v1 '$work/exported' 2>/dev/null && diff -r --no-dereference -x fifo '$work/tree' '$work/exported/app'"
check "build without --output is a usage error" bash -c "'$berth' build --layer '$work/tree' >/dev/null 2>&1; [[ \$? -eq 2 ]]"
check "build of a missing directory names it" bash -c "'$berth' build --layer '$work/nope' --output oci:$work/x 2>&1 | grep -q nope"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
