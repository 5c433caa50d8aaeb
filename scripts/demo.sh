#!/usr/bin/env bash
# berth's main job, end to end, on a local stack this script starts and stops:
# sign an AWS request, then push an image to a real registry (Basic auth) and pull
# it back, verifying the digest at each step. scripts/setup.sh must have run.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
berth="$here/build/bin/berth"
work=$(mktemp -d)
state="$work/stack"
cleanup() {
  python3 "$here/tests/servers/stack.py" down --state-dir "$state" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2fs", b - a }'; }

step "1. Sign an AWS request (SigV4), showing every stage"
AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY \
  "$berth" sign-request --method POST --url https://api.ecr.us-east-1.amazonaws.com/ \
  --header 'Content-Type: application/x-amz-json-1.1' \
  --header 'X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken' \
  --region us-east-1 --service ecr --timestamp 20261127T120000Z

step "2. Start a local registry (Debian docker-registry, htpasswd auth)"
python3 "$here/tests/servers/stack.py" up --kind htpasswd --state-dir "$state" >/dev/null
read -r host user pass < <(python3 -c "import json;s=json.load(open('$state/stack.json'));print(s['registry']['hostport'],s['auth']['username'],s['auth']['password'])")
echo "registry at $host (user $user)"

step "3. Make an image: a directory with a few MB of files (OCI layout via umoci)"
mkdir -p "$work/app"
head -c 8000000 /dev/urandom >"$work/app/payload.bin"
echo 'print("hello from berth")' >"$work/app/main.py"
umoci init --layout "$work/image" && umoci new --image "$work/image:v1"
umoci insert --image "$work/image:v1" "$work/app" /app >/dev/null
echo "image in oci:$work/image:v1"

step "4. Push it with berth"
t=$EPOCHREALTIME
digest=$("$berth" copy --dest-creds "$user:$pass" "oci:$work/image:v1" "docker://$host/demo/app:v1")
echo "pushed docker://$host/demo/app:v1 as $digest in $(elapsed "$t")"

step "5. Push again (nothing to move)"
t=$EPOCHREALTIME
"$berth" copy --dest-creds "$user:$pass" "oci:$work/image:v1" "docker://$host/demo/app:v1" >/dev/null
echo "no-op re-push in $(elapsed "$t")"

step "6. Pull it back and verify"
t=$EPOCHREALTIME
pulled=$("$berth" copy --src-creds "$user:$pass" "docker://$host/demo/app:v1" "oci:$work/pulled:v1")
echo "pulled into oci:$work/pulled:v1 in $(elapsed "$t")"
if [[ $pulled != "$digest" ]]; then
  echo "DIGEST MISMATCH: pushed $digest, pulled $pulled" >&2
  exit 1
fi
skopeo_digest=$(skopeo inspect --tls-verify=false --creds "$user:$pass" "docker://$host/demo/app:v1" |
  python3 -c 'import json,sys;print(json.load(sys.stdin)["Digest"])')
[[ $skopeo_digest == "$digest" ]] || { echo "skopeo sees $skopeo_digest" >&2; exit 1; }
echo "digest $digest: berth push, berth pull and skopeo agree"

step "Done — the local stack is stopped on exit"
