#!/usr/bin/env bash
# Runs the C login test. "offline": without a registry (login without the check,
# logout, the arguments). "registry": also against a registry asking for Basic auth
# (tests/servers/stack.py --kind htpasswd); exits 77 (ctest: skipped) when the
# registry or htpasswd is missing.
set -euo pipefail
bin=$1
mode=${2:-offline}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
# Nothing of the machine's: no credentials read, no default file written.
export DOCKER_CONFIG=$work/docker-config REGISTRY_AUTH_FILE=
if [[ $mode == offline ]]; then
  trap 'rm -rf "$work"' EXIT
  rc=0
  "$bin" "$work/files" || rc=$?
  [[ ! -e $DOCKER_CONFIG ]] || { echo "the default file was written: $DOCKER_CONFIG" >&2; exit 1; }
  exit "$rc"
fi
for tool in python3 htpasswd "${BERTH_DOCKER_REGISTRY:-docker-registry}"; do
  command -v "$tool" >/dev/null || { rm -rf "$work"; echo "skipped: needs $tool"; exit 77; }
done
trap 'python3 "$here/../servers/stack.py" down --state-dir "$work/stack" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
python3 "$here/../servers/stack.py" up --kind htpasswd --user "c-login:C-login-pa55" \
  --state-dir "$work/stack" >/dev/null
# shellcheck disable=SC1091
. "$work/stack/stack.env"
"$bin" "$work/files" "$BERTH_TEST_REGISTRY" "$BERTH_TEST_REGISTRY_USER" "$BERTH_TEST_REGISTRY_PASSWORD"
