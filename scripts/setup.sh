#!/usr/bin/env bash
# Installs what a command of ./run needs, then builds what it runs. Idempotent:
# re-running only installs what is missing and rebuilds what changed.
#
#   scripts/setup.sh demo   the demo's needs only: the build tools and libraries, the
#                           registry, moto; builds the library and the CLI
#   scripts/setup.sh [all]  everything the tests, fuzzing and benchmarks need too
#                           (peers from Debian, Go and npm); builds every target
#
# Sources: Debian packages (apt-get), PyPI (pip), the Go module proxy (go install),
# npm. Nothing is downloaded from anywhere else.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
mode=${1:-all}
case $mode in
  demo | all) ;;
  *)
    echo "usage: scripts/setup.sh [demo|all]" >&2
    exit 2
    ;;
esac

# The build and the demo's stack (scripts/demo.sh: docker-registry, moto, openssl for
# the stand-in's TLS, htpasswd).
debs=(
  build-essential cmake ninja-build pkg-config ccache
  libcurl4-openssl-dev libssl-dev rapidjson-dev libzstd-dev zlib1g-dev doctest-dev
  libexpat1-dev libdeflate-dev libsodium-dev libbz2-dev liblzma-dev
  docker-registry apache2-utils openssl curl
)
if [[ $mode == all ]]; then
  debs+=(
    clang-format
    clang-14 libclang-rt-14-dev # the sanitized libFuzzer build (scripts/fuzz.sh)
    skopeo umoci buildah # buildah: the reference builder of tests/dockerfile/test_buildah_differential.py
    runc # the OCI runtime of BuildKit's worker (tests/dockerfile/test_buildkit_differential.py)
    mmdebstrap # a Debian base image from Debian's archive (tests/dockerfile, benchmarks)
    qemu-user-static # RUN for linux/arm64 through binfmt_misc (test_multi_platform.py)
    pigz libdeflate-tools zstd time
    strace # tests/integration: the order of fdatasync/fsync/rename that makes a pull durable
    # tests/sandbox: a static busybox is the RUN executor's base image; newuidmap and
    # newgidmap map the rootless test user's /etc/subuid range.
    busybox-static uidmap
  )
  # Packaging tests (tests/packaging): zsh and bash-completion run the completions,
  # file is what CPack's .deb generator inspects binaries with.
  debs+=(zsh bash-completion file)
fi
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  echo "setup: installing Debian packages: ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# RUN for another architecture goes through the kernel's binfmt_misc handlers. Debian's
# qemu-user-static registers them through systemd, which a container lacks: register the
# aarch64 one (with its F flag, usable inside a sandbox) when running as root. Others stay
# unregistered: test_multi_platform.py checks the error a build gives without one.
if [[ $mode == all && $(id -u) -eq 0 && -f /usr/lib/binfmt.d/qemu-aarch64.conf ]]; then
  binfmt=/proc/sys/fs/binfmt_misc
  [[ -e $binfmt/register ]] || mount -t binfmt_misc binfmt_misc "$binfmt" 2>/dev/null || true
  if [[ -e $binfmt/register && ! -e $binfmt/qemu-aarch64 ]]; then
    cat /usr/lib/binfmt.d/qemu-aarch64.conf >"$binfmt/register" ||
      echo "setup: cannot register the aarch64 binfmt handler (multi-platform RUN tests will say so)" >&2
  fi
fi

# Python test tools (the image ships them; elsewhere pip brings them).
python3 - <<'PY' 2>/dev/null || python3 -m pip install -q pytest 'moto[server]' boto3 botocore
import pytest, moto, boto3, botocore  # noqa: F401
PY
# ccache keeps compiler output from one build (and one checkout) to the next: paths
# under the project are hashed relative to it.
export CCACHE_BASEDIR="$here"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

if [[ $mode == demo ]]; then
  # The library and the CLI only: no tests, benchmarks or peers to build.
  cmake -S . -B build -G Ninja "${launcher[@]}" \
    -DCMAKE_BUILD_TYPE="${BERTH_BUILD_TYPE:-Release}" \
    -DBERTH_SANITIZE="${BERTH_SANITIZE:-OFF}" \
    -DBERTH_WERROR="${BERTH_WERROR:-ON}" >/dev/null
  cmake --build build --target berth_cli
  exit 0
fi

# The SPDX project's validator (pyspdxtools) judges berth sbom's documents.
python3 - <<'PY' 2>/dev/null || python3 -m pip install -q 'spdx-tools>=0.8,<0.9'
import spdx_tools  # noqa: F401
PY

# Go peers, installed into the project's own tool folder.
export GOBIN="$here/.tools/bin"
mkdir -p "$GOBIN"
[[ -x $GOBIN/crane ]] || go install github.com/google/go-containerregistry/cmd/crane@v0.22.1
# oras reads the referrers berth copies (tests/integration/test_it_referrers.py).
[[ -x $GOBIN/oras ]] || go install oras.land/oras/cmd/oras@v1.3.6
# cosign verifies berth's signatures and makes ones berth verifies (test_it_sign.py).
[[ -x $GOBIN/cosign ]] || go install github.com/sigstore/cosign/v2/cmd/cosign@v2.6.1
# act runs the README's workflow and the action in tests/act.
[[ -x $GOBIN/act ]] || go install github.com/nektos/act@v0.2.89
# Registries for the referrers tests (tests/servers/stack.py): CNCF distribution v3
# (which, like Debian's 2.8, has no referrers API: its releases up to v3.1.2 carry no
# referrers route) and go-containerregistry's registry with the referrers API on.
if [[ ! -x $GOBIN/registry-v3 ]]; then
  go install github.com/distribution/distribution/v3/cmd/registry@v3.1.2
  mv "$GOBIN/registry" "$GOBIN/registry-v3"
fi
[[ -x $GOBIN/referrers-registry ]] ||
  (cd "$here/tests/servers/referrers_registry" && go build -o "$GOBIN/referrers-registry" .)
# regctl lists what berth attaches and copies it with --referrers (test_it_regctl.py).
[[ -x $GOBIN/regctl ]] || go install github.com/regclient/regclient/cmd/regctl@v0.11.7
# BuildKit, the semantic reference of Dockerfile builds (test_buildkit_differential.py).
# `go install` refuses its module (go.mod has exclude directives): build a writable copy.
if [[ ! -x $GOBIN/buildkitd || ! -x $GOBIN/buildctl ]]; then
  bk_mod=$(go mod download -json github.com/moby/buildkit@v0.26.2 |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
  bk_src=$(mktemp -d)
  cp -r "$bk_mod/." "$bk_src" && chmod -R u+w "$bk_src"
  (cd "$bk_src" && go build -o "$GOBIN/" ./cmd/buildkitd ./cmd/buildctl)
  rm -rf "$bk_src"
fi

# npm signer for the SigV4 benchmark and differential tests.
if [[ ! -d $here/.tools/node/node_modules/aws4 ]]; then
  mkdir -p "$here/.tools/node"
  (cd "$here/.tools/node" && npm install --silent --no-audit --no-fund aws4@1 >/dev/null)
fi

# Build (Release by default; BERTH_BUILD_TYPE / BERTH_SANITIZE override).
cmake -S . -B build -G Ninja "${launcher[@]}" \
  -DCMAKE_BUILD_TYPE="${BERTH_BUILD_TYPE:-Release}" \
  -DBERTH_SANITIZE="${BERTH_SANITIZE:-OFF}" \
  -DBERTH_WERROR="${BERTH_WERROR:-ON}" >/dev/null
cmake --build build
