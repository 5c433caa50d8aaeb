#!/usr/bin/env bash
# The action's `release-url` install (scripts/install_release.sh, which action.yml's
# install step runs) with the project's own release archive:
#   1. cpack makes berth-VERSION-linux-ARCH.tar.gz and its .sha256 beside it, and the
#      checksum is the archive's (sha256sum -c);
#   2. served over HTTP on loopback (python3 -m http.server), the archive installs
#      checked against that .sha256, and its bin/berth runs (`berth --version`);
#   3. a tampered archive (one byte changed) served with the real .sha256 is refused
#      with an error naming both digests, installs nothing and leaves an earlier
#      install as it was; an archive without a .sha256 is refused; an explicit
#      release-sha256 wins over the file (a right one installs, a wrong one is refused).
#   test_action_release.sh SRC BUILD_DIR
set -euo pipefail
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
work=$(mktemp -d)
server=
cleanup() {
  [[ -z $server ]] || kill "$server" 2>/dev/null || true
  [[ -z $server ]] || wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
version=$(sed -nE 's/^project\(berth VERSION ([0-9.]+).*/\1/p' "$src/CMakeLists.txt")
abi=$(sed -nE 's/^#define BERTH_ABI_VERSION ([0-9]+).*/\1/p' "$src/include/berth.h")
install=$src/scripts/install_release.sh
fail() {
  echo "FAIL: $*"
  exit 1
}

# 1. The archive and its checksum, as cpack writes them.
cpack -G TGZ --config "$build/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1 || {
  cat "$work/cpack.log"
  exit 1
}
tgz=$(ls "$work/out"/berth-"$version"-linux-*.tar.gz)
name=$(basename "$tgz")
[[ -f $tgz.sha256 ]] || fail "cpack wrote no $name.sha256"
(cd "$work/out" && sha256sum -c --quiet "$name.sha256") || fail "$name.sha256 is not the archive's"
echo "cpack: $name and $name.sha256 ($(cut -c1-12 "$tgz.sha256")...)"

# 2. Served on loopback; the tampered copy and one without a checksum beside it.
mkdir -p "$work/www/good" "$work/www/tampered" "$work/www/bare"
cp "$tgz" "$tgz.sha256" "$work/www/good/"
cp "$tgz" "$tgz.sha256" "$work/www/tampered/"
python3 - "$work/www/tampered/$name" <<'EOF'
import os, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(os.path.getsize(sys.argv[1]) // 2)
    b = f.read(1)
    f.seek(-1, 1)
    f.write(bytes([b[0] ^ 0x01]))
EOF
cp "$tgz" "$work/www/bare/"
# A truncated archive with a checksum that matches it: it verifies, then fails to unpack.
mkdir -p "$work/www/truncated"
head -c 4096 "$tgz" >"$work/www/truncated/$name"
(cd "$work/www/truncated" && sha256sum "$name" >"$name.sha256")
python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$work/www" >"$work/http.log" 2>&1 &
server=$!
port=
for _ in $(seq 100); do
  port=$(sed -nE 's/.*port ([0-9]+).*/\1/p' "$work/http.log" | head -n 1)
  [[ -z $port ]] || break
  sleep 0.1
done
[[ -n $port ]] || fail "http.server did not start: $(cat "$work/http.log")"
base=http://127.0.0.1:$port

dest=$work/tool/berth-release
"$install" "$base/good/$name" "$dest" >"$work/good.log" 2>&1 || fail "install: $(cat "$work/good.log")"
grep -q "matches $base/good/$name.sha256" "$work/good.log" || fail "the checksum file was not checked: $(cat "$work/good.log")"
berth=$(find "$dest" -path '*/bin/berth' -type f -perm -u+x | head -n 1)
[[ -n $berth ]] || fail "no bin/berth under $dest"
[[ $("$berth" --version) == "berth $version (abi $abi)" ]] || fail "berth --version: $("$berth" --version)"
echo "installed from $base/good/$name: $("$berth" --version)"

# 3. Refusals. Each leaves the earlier install as it was.
before=$(cd "$dest" && find . -type f -exec sha256sum {} + | LC_ALL=C sort)
refused() { # NAME EXPECTED-TEXT install_release.sh ARGS...
  local what=$1 text=$2 out
  shift 2
  if out=$("$install" "$@" 2>&1); then fail "$what was installed: $out"; fi
  grep -qF -- "$text" <<<"$out" || fail "$what: the error does not say '$text': $out"
  [[ $(cd "$dest" && find . -type f -exec sha256sum {} + | LC_ALL=C sort) == "$before" ]] ||
    fail "$what changed the earlier install"
  echo "refused, $what: $(tail -n 1 <<<"$out")"
}
good_sum=$(cut -c1-64 "$tgz.sha256")
bad_sum=$(sha256sum "$work/www/tampered/$name" | cut -c1-64)
refused "a tampered archive" "release archive SHA-256 is $bad_sum, expected $good_sum (from $base/tampered/$name.sha256): refusing" \
  "$base/tampered/$name" "$dest"
refused "an archive without a checksum" "no checksum for $base/bare/$name" "$base/bare/$name" "$dest"
refused "a wrong release-sha256" "expected $bad_sum (from release-sha256)" "$base/good/$name" "$dest" "$bad_sum"
refused "an archive that does not unpack" "cannot unpack $base/truncated/$name" \
  "$base/truncated/$name" "$dest"
refused "a checksum over plain http off loopback" "is plain http: give release-sha256" \
  "http://berth.invalid/$name" "$dest"
# In a workflow the refusal is an error annotation.
out=$(GITHUB_ACTIONS=true "$install" "$base/tampered/$name" "$dest" 2>&1) && fail "installed in a workflow: $out"
grep -q "^::error title=berth::release archive SHA-256 is $bad_sum" <<<"$out" || fail "no error annotation: $out"
# A right release-sha256 needs no checksum file.
"$install" "$base/bare/$name" "$work/tool/bare" "${good_sum^^}" >"$work/bare.log" 2>&1 || fail "$(cat "$work/bare.log")"
[[ $("$(find "$work/tool/bare" -path '*/bin/berth' | head -n 1)" --version) == "berth $version (abi $abi)" ]] ||
  fail "the install checked by release-sha256 does not run"
echo "action release install: cpack's archive and checksum install, tampering is refused"
