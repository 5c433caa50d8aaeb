#!/usr/bin/env bash
# The release artifacts of `cpack` from a build tree with the CLI:
#   1. the .tar.gz holds bin (berth, docker-credential-berth -> berth), lib
#      (libberth.so*, libberth.a, cmake/berth, pkgconfig), include and the shell
#      completions, and works where it is unpacked (CMake and pkg-config consumers);
#   2. the .debs (berth, libberth2, libberth-dev) carry the dependencies
#      dpkg-shlibdeps found plus what the dev files need;
#   3. installed with dpkg on this machine: berth and its credential-helper name
#      run, the completions load from the system paths, README.md's C and C++ quick
#      starts build against /usr (pkg-config, find_package), the consumers run on
#      /usr/lib/libberth.so.2, the Python binding finds it through the system loader
#      and the Go binding builds with no PKG_CONFIG_PATH, shared and berth_static;
#   4. removed again with dpkg --purge (-r would keep libberth2 in the "rc" state for
#      its postrm), leaving no berth file or package record behind.
# Step 3 needs root (or sudo without a password) and refuses to run over berth
# packages installed before it, so that it never removes what it did not install.
#   test_release.sh SRC BUILD_DIR
set -euo pipefail
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
work=$(mktemp -d)
installed=()
sudo_cmd=()
[[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo -n)
packages=(berth libberth2 libberth-dev)
cleanup() {
  if ((${#installed[@]})); then
    echo "removing ${installed[*]}"
    dpkg_locked --purge "${installed[@]}" >/dev/null || echo "WARNING: dpkg --purge ${installed[*]} failed"
  fi
  chmod -R u+w "$work" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
unset LD_LIBRARY_PATH PKG_CONFIG_PATH BERTH_LIBRARY CMAKE_PREFIX_PATH
version=$(sed -nE 's/^project\(berth VERSION ([0-9.]+).*/\1/p' "$src/CMakeLists.txt")
abi=$(sed -nE 's/^#define BERTH_ABI_VERSION ([0-9]+).*/\1/p' "$src/include/berth.h")
step() { echo "--- $* ($SECONDS s)"; }
fail() {
  echo "FAIL: $*"
  exit 1
}
# dpkg, waiting while another dpkg or apt (other jobs on this machine) holds its lock.
dpkg_locked() {
  local tries=0
  while :; do
    if "${sudo_cmd[@]}" dpkg "$@" 2>"$work/dpkg.err"; then return 0; fi
    if grep -q 'lock' "$work/dpkg.err" && ((tries++ < 60)); then
      sleep 5
      continue
    fi
    cat "$work/dpkg.err" >&2
    return 1
  done
}
# The consumers of tests/packaging/consumer, against a prefix (CMake) or none.
build_consumers() { # DIR [CMAKE_PREFIX_PATH]
  cmake -S "$src/tests/packaging/consumer" -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    ${2:+-DCMAKE_PREFIX_PATH="$2"} >"$1.log" 2>&1 || { cat "$1.log"; return 1; }
  cmake --build "$1" >>"$1.log" 2>&1 || { cat "$1.log"; return 1; }
}

step "cpack"
cpack --config "$build/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1 || { cat "$work/cpack.log"; exit 1; }
tgz=$(ls "$work/out"/berth-"$version"-linux-*.tar.gz)
arch=$(dpkg --print-architecture)
debs=("$work/out/berth_${version}_$arch.deb" "$work/out/libberth2_${version}_$arch.deb"
  "$work/out/libberth-dev_${version}_$arch.deb")
ls -l "$tgz" "${debs[@]}" | awk '{print $5, $NF}'

# 1. The .tar.gz
step ".tar.gz"
top=$(basename "$tgz" .tar.gz)
listing=$(tar -tzf "$tgz" | sed "s|^$top/||")
for f in bin/berth bin/docker-credential-berth lib/libberth.so lib/libberth.so.2 lib/libberth.a \
  lib/cmake/berth/berth-config.cmake lib/cmake/berth/berth-targets.cmake lib/pkgconfig/berth.pc \
  lib/pkgconfig/berth-static.pc include/berth.h include/berth/copy.hpp include/berth/version.hpp \
  share/bash-completion/completions/berth share/zsh/site-functions/_berth; do
  grep -qx "$f" <<<"$listing" || fail "$(basename "$tgz") lacks $f"
done
mkdir "$work/tgz"
tar -xzf "$tgz" -C "$work/tgz"
root=$work/tgz/$top
[[ $(readlink "$root/bin/docker-credential-berth") == berth ]] || fail "docker-credential-berth is not a link to berth"
[[ $("$root/bin/berth" version) == "berth $version (abi $abi)" ]] || fail "berth version: $("$root/bin/berth" version)"
helper_home=$work/home
mkdir -p "$helper_home"
# Under the helper's name berth speaks the protocol: a host it holds nothing for is
# "credentials not found in native keychain" (what docker expects), list is {}.
out=$(echo "https://registry.example" | HOME="$helper_home" DOCKER_CONFIG="$helper_home" "$root/bin/docker-credential-berth" get 2>&1) &&
  fail "docker-credential-berth get succeeded: $out"
[[ $out == "credentials not found in native keychain" ]] || fail "docker-credential-berth get: $out"
[[ $(HOME="$helper_home" DOCKER_CONFIG="$helper_home" "$root/bin/docker-credential-berth" list) == "{}" ]] ||
  fail "docker-credential-berth list"
build_consumers "$work/tgz-consumers" "$root"
LD_LIBRARY_PATH="$root/lib" "$work/tgz-consumers/consumer_c"
"$work/tgz-consumers/consumer_cpp"
grep -q -- "-I$root/lib/pkgconfig/../../include" <<<"$(PKG_CONFIG_PATH="$root/lib/pkgconfig" pkg-config --cflags berth)" ||
  fail "berth.pc in the unpacked archive does not point into it"
echo "tar.gz: complete, runs and builds consumers where it is unpacked"

# 2. The .debs' metadata
step ".deb metadata"
for deb in "${debs[@]}"; do
  echo "$(dpkg-deb -f "$deb" Package): $(dpkg-deb -f "$deb" Depends)"
done
for deb in "${debs[0]}" "${debs[1]}"; do
  depends=$(dpkg-deb -f "$deb" Depends)
  for dep in libc6 libcurl4 libssl3 libzstd1 zlib1g libexpat1 libdeflate0 libsodium23 libbz2-1.0 liblzma5 libstdc++6; do
    tr ',|' '\n\n' <<<"$depends" | awk '{print $1}' | grep -qxF "$dep" || fail "$(basename "$deb") does not depend on $dep"
  done
done
dev_depends=$(dpkg-deb -f "${debs[2]}" Depends)
for dep in "libberth2 (= $version)" libssl-dev libcurl4-openssl-dev zlib1g-dev libzstd-dev libexpat1-dev \
  libdeflate-dev libsodium-dev libbz2-dev liblzma-dev pkg-config; do
  grep -qF "$dep" <<<"$dev_depends" || fail "libberth-dev does not depend on $dep"
done
[[ $(dpkg-deb --ctrl-tarfile "${debs[1]}" | tar -xO ./shlibs) == "libberth $abi libberth$abi (>= $version)" ]] ||
  fail "libberth2 has no shlibs entry"
grep -q '\./usr/bin/docker-credential-berth -> berth$' <<<"$(dpkg-deb -c "${debs[0]}")" || fail "berth.deb lacks the helper link"

# 3. Installed with dpkg
if [[ $(id -u) -ne 0 ]] && ! sudo -n true 2>/dev/null; then
  echo "note: not root and no password-less sudo: the .debs were checked but not installed"
  exit 0
fi
for p in "${packages[@]}"; do
  if grep -q 'ok installed' <<<"$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)"; then
    fail "$p is installed already; remove it (dpkg --purge ${packages[*]}) so that this test installs and removes its own"
  fi
done
step "dpkg -i"
installed=("${packages[@]}")
dpkg_locked -i "${debs[@]}" >/dev/null
for p in "${packages[@]}"; do
  grep -q 'install ok installed' <<<"$(dpkg-query -W -f='${Status}' "$p")" || fail "$p is not installed"
done
[[ $(/usr/bin/berth version) == "berth $version (abi $abi)" ]] || fail "/usr/bin/berth version"
[[ $(command -v docker-credential-berth) == /usr/bin/docker-credential-berth ]] || fail "docker-credential-berth not on PATH"
[[ $(HOME="$helper_home" DOCKER_CONFIG="$helper_home" docker-credential-berth list) == "{}" ]] || fail "installed helper"
grep -qE "libberth\\.so\\.$abi .*=> (/usr)?/lib/libberth\\.so\\.$abi\$" <<<"$(ldconfig -p)" || fail "ldconfig does not know /usr/lib/libberth.so.2"
echo "installed: $(/usr/bin/berth version), docker-credential-berth, libberth.so.2 in the loader cache"

# Completions from the system paths, as a login shell finds them.
if [[ -f /usr/share/bash-completion/bash_completion ]]; then
  got=$(bash --norc --noprofile -c 'source /usr/share/bash-completion/bash_completion
    _completion_loader berth; complete -p berth')
  [[ $got == "complete -F _berth berth" ]] || fail "bash-completion does not load berth's completion: $got"
fi
if command -v zsh >/dev/null; then
  got=$(timeout 60 zsh "$src/tests/packaging/zsh_complete.zsh" /nonexistent "berth co" | sed 1d)
  [[ $got == copy ]] || fail "zsh's default fpath does not complete 'berth co': $got"
fi

# README.md's quick starts and the consumers, against /usr only.
step "quick starts and consumers against /usr"
python3 "$src/tests/packaging/quickstarts.py" "$src/README.md" "$work/qs"
# The C one as the README says: cc app.c $(pkg-config --cflags --libs berth).
cc -std=c99 -Wall "$work/qs/quickstart.c" -o "$work/qs/quickstart_c" $(pkg-config --cflags --libs berth)
cmake -S "$src/tests/packaging/quickstart_cmake" -B "$work/qs/cmake" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DQUICKSTART_CPP="$work/qs/quickstart.cpp" >"$work/qs.log" 2>&1 || { cat "$work/qs.log"; exit 1; }
cmake --build "$work/qs/cmake" >>"$work/qs.log" 2>&1 || { cat "$work/qs.log"; exit 1; }
grep -qE "=> (/usr)?/lib/libberth\\.so\\.$abi " <<<"$(ldd "$work/qs/quickstart_c")" || fail "the C quick start does not use /usr/lib/libberth.so.2"
build_consumers "$work/usr-consumers"
grep -qE "=> (/usr)?/lib/libberth\\.so\\.$abi " <<<"$(ldd "$work/usr-consumers/consumer_c")" || fail "consumer_c does not use /usr/lib"
"$work/usr-consumers/consumer_c"
"$work/usr-consumers/consumer_cpp"
cc -std=c99 -Wall "$src/tests/packaging/consumer/consumer.c" -o "$work/consumer_static" $(pkg-config --libs --cflags berth-static)
"$work/consumer_static"

# The Python binding alone (a copy outside the checkout, so no build/ tree is near)
# finds libberth through the system loader.
mkdir "$work/py"
cp -r "$src/bindings/python/berth" "$work/py/berth"
out=$(cd "$work" && env -i HOME="$HOME" PATH=/usr/bin:/bin PYTHONPATH="$work/py" \
  python3 -c 'import berth; print(berth.version(), berth.library_path())' 2>&1)
[[ $out =~ ^$version\ (libberth\.so\.$abi|(/usr)?/lib/libberth\.so\.$abi)$ ]] ||
  fail "the Python binding did not load the system libberth: $out"
echo "python: $out"

# The Go binding with the installed berth.pc: no PKG_CONFIG_PATH, no LD_LIBRARY_PATH.
if command -v go >/dev/null; then
  mkdir -p "$work/goapp"
  cp "$src/tests/packaging/go_consumer/main.go" "$work/goapp/"
  cat >"$work/goapp/go.mod" <<GOMOD
module example.com/berthuser

go 1.21

require github.com/berth-project/berth/bindings/go v0.0.0

replace github.com/berth-project/berth/bindings/go => $src/bindings/go
GOMOD
  # Go's build cache does not see /usr/lib/libberth.a or berth.h change between runs
  # (it keys cgo packages on CGO_CFLAGS, not on what pkg-config finds): a flag naming
  # this run makes it build the binding anew.
  (cd "$work/goapp" && export CGO_CFLAGS="-O2 -g -DBERTH_PACKAGING_RUN=$$_$SECONDS" &&
    go build -o app-shared . && go build -tags berth_static -o app-static .)
  for app in app-shared app-static; do
    out=$("$work/goapp/$app")
    [[ $out == "berth $version signature 5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" ]] ||
      fail "go $app: $out"
  done
  echo "go: shared and berth_static builds against /usr run"
fi

# 4. Removed again
step "dpkg --purge"
dpkg_locked --purge "${packages[@]}" >/dev/null
installed=()
for p in "${packages[@]}"; do
  if dpkg-query -W "$p" >/dev/null 2>&1; then fail "dpkg still knows $p: $(dpkg-query -W -f='${Status}' "$p")"; fi
done
for f in /usr/bin/berth /usr/bin/docker-credential-berth /usr/lib/libberth.so.2 /usr/lib/libberth.a \
  /usr/include/berth.h /usr/lib/cmake/berth /usr/lib/pkgconfig/berth.pc /usr/share/bash-completion/completions/berth \
  /usr/share/zsh/vendor-completions/_berth; do
  [[ ! -e $f && ! -L $f ]] || fail "$f is left after dpkg --purge"
done
if grep -q libberth <<<"$(ldconfig -p)"; then fail "libberth is still in the loader cache"; fi
step "done"
echo "release: .tar.gz and .debs built, checked, installed, used and removed"
