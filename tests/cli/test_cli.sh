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

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
