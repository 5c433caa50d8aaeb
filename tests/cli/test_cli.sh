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

check "version" bash -c "'$berth' version | grep -Eq '^berth [0-9]+\.[0-9]+\.[0-9]+ \(abi 2\)$'"
for cmd in version sign-request copy; do
  check "$cmd --help" bash -c "'$berth' $cmd --help | grep -q '^usage: berth $cmd'"
done
check "no command is a usage error" bash -c "'$berth' >/dev/null 2>&1; [[ \$? -eq 2 ]]"
check "an empty item in a comma list is a usage error naming the option" bash -c "'$berth' ecr ensure-creation-template --prefix p --applied-for CREATE_ON_PUSH, 2>&1 >/dev/null | grep -q -- \"--applied-for has an empty item\"; [[ \${PIPESTATUS[0]} -eq 2 ]]"
check "unknown command" bash -c "'$berth' frobnicate 2>&1 >/dev/null | grep -q \"unknown command 'frobnicate'\""
check "unknown option" bash -c "'$berth' copy --nope a b 2>&1 | grep -q 'unknown option --nope'; [[ \${PIPESTATUS[0]} -eq 2 ]]"
# A typo gets one line naming the closest command or option and where to look, not the
# whole usage pushing the error off screen.
check "did you mean a command" bash -c "out=\$('$berth' pul a b 2>&1 >/dev/null); [[ \$? -eq 2 ]] && [[ \$out == \"berth: unknown command 'pul'; did you mean 'pull'?\"\$'\\n'\"see 'berth --help'\" ]]"
check "did you mean an option" bash -c "out=\$('$berth' copy --jsn a b 2>&1 >/dev/null); [[ \$? -eq 2 ]] && [[ \$(wc -l <<<\"\$out\") -le 4 ]] && grep -q \"unknown option --jsn; did you mean '--json'?\" <<<\"\$out\" && grep -q \"see 'berth copy --help'\" <<<\"\$out\""
check "nothing close: no guess" bash -c "'$berth' frobnicate 2>&1 | grep -vq 'did you mean'"
# pull DST as crane reads a plain path; a bare word is refused before any request.
check "pull to a bare word names the local forms" bash -c "out=\$('$berth' pull 127.0.0.1:9/x:y outdir 2>&1); [[ \$? -eq 2 ]] && grep -q \"write oci:outdir (a directory), docker-archive:outdir.tar\" <<<\"\$out\""
check "pull to out.tar is a docker-archive" bash -c "cd '$work' && '$berth' pull --timeout 2s 127.0.0.1:9/x:y out.tar 2>&1 | grep -vq 'registry-1.docker.io'"
# No tag out of the CI context: said on stderr (stdout stays empty), and push names why.
check "tags compute outside CI says why" bash -c "out=\$(env -u GITHUB_REF -u GITHUB_SHA '$berth' tags compute 2>\"$work/why\"); [[ \$? -eq 0 && -z \$out ]] && grep -q 'no CI context found: GITHUB_REF and GITHUB_SHA are unset' \"$work/why\""
check "push --tags-from-ci outside CI says why" bash -c "env -u GITHUB_REF -u GITHUB_SHA '$berth' push --tags-from-ci oci:/nonexistent 127.0.0.1:9/app 2>&1 | grep -q -- '--tags-from-ci gave no tag: no CI context found'"
check "options before the command" bash -c "'$berth' --nope copy a b 2>&1 | grep -q '^berth copy: unknown option --nope'"
check "options before the command keep their values" bash -c "'$berth' --jobs 0 --quiet version 2>&1 | grep -q '^berth version: unknown option --jobs'"
# With --json, anywhere before "--", a failure is one JSON line on stderr, stdout empty.
check "--json errors are JSON" bash -c "out=\$('$berth' --jobs 0 --json version 2>\"$work/err\"); [[ \$? -eq 2 && -z \$out ]] && python3 -c 'import json,sys;e=json.load(open(sys.argv[1]));assert (e[\"event\"],e[\"command\"],e[\"code\"],e[\"exit_code\"])==(\"error\",\"version\",\"usage\",2),e;assert e[\"message\"]==\"unknown option --jobs\",e' \"$work/err\""

# Each command's help and parser come from one option table: every option row of the
# help ("  [-a, ]--name [METAVAR]  meaning") is parsed, as a value option when the row
# shows a metavar (--name=x) and as a flag when not. An unknown option after it is then
# the usage error, so nothing runs.
options_parse() { # "COMMAND" ["COMMAND SUBCOMMAND"]: the rows of the command's help,
  # each parsed as listed (by the subcommand when given: ecr and aws dispatch)
  local help_words=$1 words=${2:-$1} rows row alias name metavar bad=0 out
  # shellcheck disable=SC2086 # the words of a command line
  rows=$("$berth" $help_words --help | grep -E '^  (-[a-zA-Z], )?--[a-z0-9-]+')
  [[ -n $rows ]] || { echo "berth $help_words --help lists no options" >&2; return 1; }
  while IFS= read -r row; do
    [[ $row =~ ^\ \ (-[a-zA-Z],\ )?(--[a-z0-9-]+)(\ [^\ ]+)? ]] || continue
    alias=${BASH_REMATCH[1]%, } name=${BASH_REMATCH[2]} metavar=${BASH_REMATCH[3]}
    local forms=()
    if [[ -n $metavar ]]; then
      forms=("$name=x")
      [[ -z $alias ]] || forms+=("$alias x")
    else
      forms=("$name")
      [[ -z $alias ]] || forms+=("$alias")
    fi
    for form in "${forms[@]}"; do
      # shellcheck disable=SC2086 # "-a x" is two words
      out=$("$berth" $words $form --zz-not-an-option 2>&1 >/dev/null)
      if [[ $? -ne 2 || $out != *"unknown option --zz-not-an-option"* ]]; then
        echo "berth $words $form: not parsed as its help shows it: ${out%%$'\n'*}" >&2
        bad=1
      fi
    done
  done <<<"$rows"
  return $bad
}
for cmd in $("$berth" --help | awk '/^commands:/ {on = 1; next} on && /^  [a-z]/ {print $1}'); do
  case $cmd in
  version | credential-helper) ;; # no options
  ecr | aws)
    # The AWS options the overview lists, as a subcommand parses them.
    first=$([[ $cmd == ecr ]] && echo get-login-password || echo whoami)
    check "$cmd: its help's options parse" options_parse "$cmd" "$cmd $first"
    for sub in $("$berth" "$cmd" --help | sed -nE "s/^(usage:)? +berth $cmd ([a-z][a-z-]*).*/\2/p"); do
      check "$cmd $sub: its help's options parse" options_parse "$cmd $sub"
    done
    ;;
  tags) check "tags: its help's options parse" options_parse tags "tags compute" ;;
  *) check "$cmd: its help's options parse" options_parse "$cmd" ;;
  esac
done
check "version takes no options" bash -c "'$berth' version --json 2>&1 | grep -q 'unknown option --json'"

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
check "re-copy skips every blob" bash -c "'$berth' copy --json oci:$work/src:v1 oci:$work/dst:copied 2>/dev/null | grep -q '\"blobs_copied\":0'"
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

# --format: media types. A docker-archive holds no manifest, so the image berth reads
# from it is synthesised; into an OCI layout it becomes OCI, which umoci unpacks
# (umoci refuses Docker manifests: "not implemented: ...manifest.v2+json").
raw_types() { # prints "manifest config layer..." media types of the manifest JSON on stdin
  python3 -c 'import json,sys;m=json.load(sys.stdin);print(m["mediaType"],m["config"]["mediaType"],*[l["mediaType"] for l in m["layers"]])'
}
raw_digest() { python3 -c 'import hashlib,sys;print("sha256:"+hashlib.sha256(sys.stdin.buffer.read()).hexdigest())'; }
export -f raw_types raw_digest
oci_types="application/vnd.oci.image.manifest.v1+json application/vnd.oci.image.config.v1+json application/vnd.oci.image.layer.v1.tar+gzip"
docker_types="application/vnd.docker.distribution.manifest.v2+json application/vnd.docker.container.image.v1+json application/vnd.docker.image.rootfs.diff.tar.gzip"
"$berth" copy --quiet "oci:$work/src:v1" "docker-archive:$work/saved.tar:example.com/app:v1" >/dev/null
da=$("$berth" copy --quiet "docker-archive:$work/saved.tar" "oci:$work/da:v1")
check "docker-archive -> oci: writes OCI media types" bash -c "[[ \"\$(skopeo inspect --raw oci:$work/da:v1 | raw_types)\" == '$oci_types' ]]"
check "  ... and prints the converted manifest's digest" bash -c "[[ \"\$(skopeo inspect --raw oci:$work/da:v1 | raw_digest)\" == '$da' ]]"
check "  ... which umoci unpacks" umoci unpack --rootless --image "$work/da:v1" "$work/da-unpacked"
check "  ... into the source's files" cmp "$work/root/app/data.bin" "$work/da-unpacked/rootfs/app/data.bin"
check "docker-archive -> oci: --format docker keeps Docker media types" bash -c "
  '$berth' copy --quiet --format docker 'docker-archive:$work/saved.tar' 'oci:$work/dd:v1' >/dev/null &&
  python3 -c 'import json,sys;i=json.load(open(sys.argv[1]));assert i[\"manifests\"][0][\"mediaType\"].startswith(\"application/vnd.docker.\"),i' '$work/dd/index.json'"
check "build on a docker-archive base into oci: makes an OCI image" bash -c "
  '$berth' build --quiet --from 'docker-archive:$work/saved.tar' --layer '$work/tree:/extra' --output 'oci:$work/bda:v1' >/dev/null &&
  skopeo inspect --raw oci:$work/bda:v1 | raw_types | grep -q '^application/vnd.oci.image.manifest.v1+json application/vnd.oci.image.config.v1+json application/vnd.oci.image.layer.v1.tar+gzip application/vnd.oci.image.layer.v1.tar+gzip$' &&
  umoci unpack --rootless --image '$work/bda:v1' '$work/bda-unpacked' >/dev/null &&
  cmp '$work/root/app/data.bin' '$work/bda-unpacked/rootfs/app/data.bin'"
check "--format takes oci or docker" bash -c "'$berth' copy --format v2s2 oci:$work/src:v1 oci:$work/x:y 2>&1 | grep -q 'format must be oci or docker'; [[ \${PIPESTATUS[0]} -eq 2 ]]"
check "zstd layers cannot become Docker media types" bash -c "
  out=\$('$berth' copy --format docker oci:$work/bz:v1 oci:$work/bzd:v1 2>&1); rc=\$?
  [[ \$rc -ne 0 ]] && grep -q zstd <<<\"\$out\" && ! grep -qs '\"v1\"' '$work/bzd/index.json'"

# Registry <-> layout, both ways, judged by skopeo's view of the raw manifests.
if command -v docker-registry >/dev/null; then
  port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
  mkdir -p "$work/registry"
  printf 'version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: %s}}\nhttp: {addr: 127.0.0.1:%s}\n' \
    "$work/registry" "$port" >"$work/registry.yml"
  docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
  registry_pid=$!
  trap 'kill $registry_pid 2>/dev/null; wait $registry_pid 2>/dev/null; rm -rf "$work"' EXIT
  for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
  reg="127.0.0.1:$port/format"
  insp() { skopeo inspect --raw --tls-verify=false "$1"; }
  export -f insp
  pushed=$(GITHUB_ACTIONS=true GITHUB_OUTPUT="$work/gh-output" \
    "$berth" push --quiet --format docker "oci:$work/src:v1" "$reg:docker" --tag docker-too)
  check "push --format docker: Docker media types in the registry" bash -c "[[ \"\$(insp docker://$reg:docker | raw_types)\" == '$docker_types' ]]"
  check "  ... the printed digest is the registry's" bash -c "[[ \"\$(insp docker://$reg:docker | raw_digest)\" == '$pushed' && '$pushed' != '$src_digest' ]]"
  check "  ... so is every tag's" bash -c "[[ \"\$(insp docker://$reg:docker-too | raw_digest)\" == '$pushed' ]]"
  check "  ... and the digest output" grep -qx "digest=$pushed" "$work/gh-output"
  pulled=$("$berth" pull --quiet --format oci "$reg:docker" "oci:$work/pulled:oci")
  check "pull --format oci: registry Docker -> OCI layout" bash -c "[[ \"\$(insp oci:$work/pulled:oci | raw_types)\" == '$oci_types' ]]"
  check "  ... with the printed digest" bash -c "[[ \"\$(insp oci:$work/pulled:oci | raw_digest)\" == '$pulled' ]]"
  check "  ... which umoci unpacks" umoci unpack --rootless --image "$work/pulled:oci" "$work/pulled-unpacked"
  kept=$("$berth" pull --quiet "$reg:docker" "oci:$work/kept:docker")
  check "pull without --format keeps the registry's manifest" test "$kept" == "$pushed"
  "$berth" push --quiet "oci:$work/src:v1" "$reg:oci" >/dev/null
  check "push without --format keeps the layout's OCI manifest" bash -c "[[ \"\$(insp docker://$reg:oci | raw_digest)\" == '$src_digest' ]]"
  # skopeo 1.9 reads only OCI manifests from a layout: the layout is judged directly.
  pd=$("$berth" pull --quiet --format docker "$reg:oci" "oci:$work/pd:docker")
  check "pull --format docker: registry OCI -> Docker media types in the layout" bash -c "
    python3 - '$work/pd' '$pd' '$docker_types' <<'EOF'
import json, sys
root, digest, want = sys.argv[1:]
entry = json.load(open(root + '/index.json'))['manifests'][0]
raw = open(root + '/blobs/sha256/' + entry['digest'][7:], 'rb').read()
m = json.loads(raw)
assert entry['digest'] == digest and entry['mediaType'] == m['mediaType'], entry
got = ' '.join([m['mediaType'], m['config']['mediaType']] + [l['mediaType'] for l in m['layers']])
assert got == want, got
EOF"
  "$berth" copy --quiet --format oci "docker://$reg:docker" "docker://$reg:back-to-oci" >/dev/null
  check "copy --format oci registry -> registry" bash -c "[[ \"\$(insp docker://$reg:back-to-oci | raw_types)\" == '$oci_types' ]]"
else
  failed=$((failed + 1))
  echo "FAIL: docker-registry is not installed (scripts/setup.sh installs it)" >&2
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
