#!/usr/bin/env bash
# berth's main job, end to end — the CI workflow of "build an image and push it to
# ECR", with no Docker daemon and no awscli — on a local ECR-compatible stack this
# script starts and stops itself:
#
#   moto (ECR, STS, IAM with signature checking on), a GitHub-Actions-style OIDC token
#   endpoint, an ECR registry front (TLS, ECR's quirks) over Debian's docker-registry,
#   and two more docker-registry instances standing in for other regions.
#
# Steps: OIDC token -> AssumeRoleWithWebIdentity -> ECR token -> ensure repository ->
# build an image from a directory on a base image -> push with computed tags -> scan
# gate -> lifecycle policy -> replicate to two more "regions" -> pull back everywhere
# and verify the digest. scripts/setup.sh must have run.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
berth="$here/build/bin/berth"
work=$(mktemp -d)
cleanup() {
  python3 "$here/tests/ecr_stack/ecr_stack.py" down --state-dir "$work/ecr" >/dev/null 2>&1 || true
  for r in region2 region3; do
    python3 "$here/tests/servers/stack.py" down --state-dir "$work/$r" >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

bold=$'\033[1m'
plain=$'\033[0m'
[[ -t 1 ]] || bold='' plain=''
t0=$EPOCHREALTIME
step_start=$t0
step() {
  step_start=$EPOCHREALTIME
  printf '\n%s== %s%s\n' "$bold" "$*" "$plain"
}
took() { awk -v a="$step_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "   (%.2fs)\n", b - a }'; }
json() { python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$1" "$2"; }

step "0. Start the local stack (moto with IAM auth, OIDC endpoint, ECR front, 2 more registries)"
python3 "$here/tests/ecr_stack/ecr_stack.py" up --state-dir "$work/ecr" >/dev/null
python3 "$here/tests/servers/stack.py" up --kind plain --state-dir "$work/region2" >/dev/null
python3 "$here/tests/servers/stack.py" up --kind plain --state-dir "$work/region3" >/dev/null
S="$work/ecr/ecr_stack.json"
ecr_repo=$(json "$S" "s['repository_uri']")
region2=$(json "$work/region2/stack.json" "s['registry']['hostport']")
region3=$(json "$work/region3/stack.json" "s['registry']['hostport']")
echo "ECR registry  $(json "$S" "s['front']['host']") (front on $(json "$S" "s['front']['hostport']"), TLS)"
echo "AWS APIs      $(json "$S" "s['aws_endpoint_url']") (moto, every request signature-checked)"
echo "regions 2, 3  $region2, $region3"
took

# A clean AWS environment: no profile files, no instance metadata; the ECR host name
# resolves to the front through berth's connect-to mapping, with TLS verified
# against the stack's CA.
export HOME="$work/home" DOCKER_CONFIG="$work/home/.docker"
mkdir -p "$HOME"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE
export AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export AWS_ENDPOINT_URL=$(json "$S" "s['aws_endpoint_url']")
export BERTH_CONNECT_TO=$(json "$S" "s['front']['connect_to_all']")
export SSL_CERT_FILE=$(json "$S" "s['tls']['ca_file']")

step "1. GitHub Actions OIDC token -> sts:AssumeRoleWithWebIdentity (role ci-pusher, least privilege)"
export ACTIONS_ID_TOKEN_REQUEST_URL=$(json "$S" "s['oidc']['request_url']")
export ACTIONS_ID_TOKEN_REQUEST_TOKEN=$(json "$S" "s['oidc']['request_token']")
role=$(json "$S" "s['roles']['ci_pusher']['arn']")
# moto answers unsigned calls with 500 while IAM auth is on; let exactly this one
# (AssumeRoleWithWebIdentity is unsigned by design) through.
curl -sf -X POST -H 'Content-Type: text/plain' --data 1 "$(json "$S" "s['moto']['reset_auth_url']")" >/dev/null
eval "$("$berth" aws credentials --role-arn "$role" --format env 2>/dev/null)"
unset ACTIONS_ID_TOKEN_REQUEST_URL ACTIONS_ID_TOKEN_REQUEST_TOKEN
"$berth" aws whoami
took

step "2. ECR authorization token (ecr:GetAuthorizationToken, signed with the role's credentials)"
password=$("$berth" ecr get-login-password)
echo "password: ${password:0:6}… (${#password} characters; berth uses it by itself for ECR hosts)"
took

step "3. Ensure the repository (as the platform admin: ci-pusher may only push)"
admin_env=(env -u AWS_SESSION_TOKEN AWS_ACCESS_KEY_ID="$(json "$S" "s['users']['admin']['access_key_id']")"
  AWS_SECRET_ACCESS_KEY="$(json "$S" "s['users']['admin']['secret_access_key']")")
"${admin_env[@]}" "$berth" ecr ensure-repository berth/app --scan-on-push --apply
echo "and ci-pusher cannot create repositories:"
"$berth" ecr ensure-repository berth/other 2>&1 | sed 's/^/   /' || true
took

step "4. Build: a base image, then the application on top (no daemon, reproducible)"
export SOURCE_DATE_EPOCH=1767225600
mkdir -p "$work/base/etc" "$work/base/usr/share/demo" "$work/app/static"
echo 'demo:x:1000:1000::/app:/bin/sh' >"$work/base/etc/passwd"
head -c 3000000 /dev/urandom >"$work/base/usr/share/demo/runtime.bin"
printf '#!/bin/sh\necho "hello from berth"\n' >"$work/app/server" && chmod 755 "$work/app/server"
head -c 6000000 /dev/urandom >"$work/app/static/assets.bin"
"$berth" build --layer "$work/base" --platform linux/amd64 --output "oci:$work/base-image:1" --quiet >/dev/null
digest=$("$berth" build --from "oci:$work/base-image:1" --layer "$work/app:/app" --compression gzip \
  --entrypoint '["/app/server"]' --env APP_ENV=production --workdir /app --user 1000 --expose 8080 \
  --label org.opencontainers.image.source=https://github.com/org/app \
  --output "oci:$work/image:build" --quiet)
again=$("$berth" build --from "oci:$work/base-image:1" --layer "$work/app:/app" --compression gzip \
  --entrypoint '["/app/server"]' --env APP_ENV=production --workdir /app --user 1000 --expose 8080 \
  --label org.opencontainers.image.source=https://github.com/org/app \
  --output "oci:$work/image-again:build" --quiet)
echo "image $digest"
[[ $again == "$digest" ]] && echo "rebuilt from the same inputs: same digest"
took

step "5. Push with tags computed from the CI context (docker/metadata-action rules)"
export GITHUB_EVENT_NAME=push GITHUB_REF=refs/heads/main GITHUB_SHA=860c1904a1ce19322e91ac35af1ab07466440c37
export GITHUB_REPOSITORY=org/app
echo '{"repository":{"default_branch":"main"}}' >"$work/event.json"
export GITHUB_EVENT_PATH="$work/event.json"
rules=(--tag-rule 'type=ref,event=branch' --tag-rule 'type=sha' --tag-rule 'type=raw,value=build-42'
  --tag-rule 'type=raw,value=latest,enable={{is_default_branch}}')
"$berth" tags compute "${rules[@]}" | sed 's/^/   tag: /'
pushed=$("$berth" push "oci:$work/image:build" "$ecr_repo" --tags-from-ci "${rules[@]}")
echo "pushed $ecr_repo@$pushed"
echo "re-run (every tag already points at the digest):"
"$berth" push "oci:$work/image:build" "$ecr_repo" --tags-from-ci "${rules[@]}" --quiet >/dev/null && echo "   nothing to do"
took

step "6. Scan gate: wait for the scan, fail on CRITICAL findings (as the admin)"
"${admin_env[@]}" "$berth" ecr scan-gate "$ecr_repo:main" --fail-on CRITICAL --max 0 --timeout 60s --poll-ms 500
took

step "7. Lifecycle policy: keep the last 10 images, expire untagged after 7 days (as the admin)"
"${admin_env[@]}" "$berth" ecr put-lifecycle-policy berth/app --keep-last 10 --expire-untagged-after 7 --preview
"${admin_env[@]}" "$berth" ecr put-lifecycle-policy berth/app --keep-last 10 --expire-untagged-after 7
took

step "8. Replicate to two more regions (each blob read once, streamed to both)"
"$berth" replicate "$ecr_repo:main" "$region2/org/app:main" "$region3/org/app:main"
took

step "9. Pull back from every registry and verify the digest"
for src in "$ecr_repo:main" "$region2/org/app:main" "$region3/org/app:main"; do
  got=$("$berth" pull --quiet "$src" "oci:$work/pulled-${src//[\/:.]/_}:main")
  if [[ $got != "$digest" ]]; then
    echo "DIGEST MISMATCH at $src: $got (expected $digest)" >&2
    exit 1
  fi
  echo "   $src  $got  ok"
done
rm -rf "$work/exported" && "$berth" export "oci:$work/image:build" "$work/exported" 2>/dev/null
"$work/exported/app/server"
took

printf '\n%sDone%s: %s, tags main, sha-860c190, build-42, latest; total %s\n' "$bold" "$plain" "$digest" \
  "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1fs", b - a }')"
echo "(everything started here is stopped on exit)"
