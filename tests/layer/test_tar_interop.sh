#!/usr/bin/env bash
# GNU tar interop for berth's tar code, both ways:
#  - tars written by berth's TarWriter list (tar -tvf), compare (tar -d) and extract
#    (tar -x) with GNU tar into a tree equal to the source: contents, types, modes with
#    setuid/setgid/sticky, symlink targets, hardlinks, owners, mtimes;
#  - tars written by GNU tar (gnu, pax and ustar formats) extract with berth's Extractor
#    into a tree equal to their source;
#  - determinism (byte-identical reruns, SOURCE_DATE_EPOCH clamping) and dest prefixes.
# berth is driven through berth_tar_driver (tests/drivers/tar_driver.cpp).
# Usage: test_tar_interop.sh BERTH_TAR_DRIVER
set -uo pipefail
driver=${1:?usage: test_tar_interop.sh BERTH_TAR_DRIVER}
export LC_ALL=C
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
if [[ ! -x $driver ]]; then
  echo "no berth_tar_driver at $driver" >&2
  exit 1
fi
if ! tar --version 2>/dev/null | grep -q 'GNU tar'; then
  echo "GNU tar is required" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'chmod -R u+rwx "$work" 2>/dev/null; rm -rf "$work"' EXIT
root=0
[[ $(id -u) -eq 0 ]] && root=1

# berth_write SRC OUT [DEST] — SOURCE_DATE_EPOCH passes through; BERTH_TAR_KEEP_OWNER
# set: --keep-owner.
berth_write() {
  "$driver" write ${BERTH_TAR_KEEP_OWNER:+--keep-owner} "$1" "$2" "${3:-}" >"$work/driver.log" 2>&1
}
# berth_extract TAR DIR
berth_extract() {
  "$driver" extract "$1" "$2" >"$work/driver.log" 2>&1
}

# make_tree DIR [long] — every kind of entry; "long" adds names ustar cannot hold.
make_tree() {
  local d=$1
  mkdir -p "$d"/{bin,etc,empty,"with space"} "$d/ro" "$d/sticky" "$d/sgid"
  printf 'hello\n' >"$d/etc/hello"
  : >"$d/etc/empty-file"
  head -c 300000 /dev/urandom >"$d/bin/blob"
  printf '#!/bin/sh\n' >"$d/bin/suid" && chmod 4755 "$d/bin/suid"
  printf 'x' >"$d/bin/sgid-file" && chmod 2711 "$d/bin/sgid-file"
  printf 'private' >"$d/etc/secret" && chmod 600 "$d/etc/secret"
  printf 'ro' >"$d/ro/inside" && chmod 555 "$d/ro"
  chmod 1777 "$d/sticky"
  chmod 2775 "$d/sgid"
  printf 'spaced' >"$d/with space/a file"
  ln -s ../etc/hello "$d/bin/rel-link"
  ln -s /usr/share/zoneinfo/UTC "$d/etc/localtime"
  ln -s does/not/exist "$d/dangling"
  ln "$d/etc/hello" "$d/bin/hello-hard"
  mkfifo -m 640 "$d/fifo"
  if [[ $root -eq 1 ]]; then chown 1234:5678 "$d/etc/secret"; fi
  if [[ ${2:-} == long ]]; then
    local deep="$d"
    for c in a b c d e; do deep="$deep/$(printf "$c%.0s" {1..60})"; done
    mkdir -p "$deep" && printf 'deep' >"$deep/leaf.txt"
    printf 'utf8' >"$d/caf$(printf '\xc3\xa9')-$(printf '\xe2\x98\x83').txt"
    ln -s "$(printf 't%.0s' {1..150})" "$d/long-target"
  fi
  find "$d" -exec touch -h -d @1600000000 {} +
}

# One line per entry (the root excluded): type, mode, owner, size and mtime for files,
# mode and mtime for directories, the target for symlinks.
signature() {
  (cd "$1" && find . -mindepth 1 \
    \( -type f -printf '%p f %m %U:%G %s %T@\n' \) -o \
    \( -type l -printf '%p l %l %U:%G\n' \) -o \
    \( -type d -printf '%p d %m %U:%G %T@\n' \) -o \
    \( -printf '%p %y %m %U:%G %T@\n' \) | sed -E 's/ ([0-9]+)\.[0-9]+$/ \1/' | sort)
}
same_tree() { # SRC DST
  diff <(signature "$1") <(signature "$2") >&2 &&
    diff -r --no-dereference -x fifo "$1" "$2" >&2
}
same_inode() { [[ $(stat -c %i "$1") == $(stat -c %i "$2") ]]; }

make_tree "$work/src" long
make_tree "$work/short"

# --- berth writes, GNU tar reads ---------------------------------------------------
BERTH_TAR_KEEP_OWNER=1 berth_write "$work/src" "$work/berth.tar"
check "berth writes a tar" test -s "$work/berth.tar"
check "tar -tvf lists it" bash -c "tar -tvf '$work/berth.tar' >'$work/list.txt' 2>'$work/list.err' && [[ ! -s '$work/list.err' ]]"
check "every source entry is listed" bash -c \
  "[[ \$(grep -c . '$work/list.txt') -eq \$(cd '$work/src' && find . -mindepth 1 | wc -l) ]]"
check "no pax headers leak as files" bash -c "! grep -q PaxHeaders '$work/list.txt'"
check "hardlink listed as a link to the first path" grep -q 'etc/hello link to bin/hello-hard' "$work/list.txt"
check "tar -d finds no differences" tar -df "$work/berth.tar" -C "$work/src"
mkdir -p "$work/gnu-x"
check "tar -x extracts it" tar -xpf "$work/berth.tar" -C "$work/gnu-x"
check "GNU-extracted tree equals the source" same_tree "$work/src" "$work/gnu-x"
check "hardlink extracted as one inode" same_inode "$work/gnu-x/etc/hello" "$work/gnu-x/bin/hello-hard"

berth_write "$work/src" "$work/again.tar"
BERTH_TAR_KEEP_OWNER=1 berth_write "$work/src" "$work/again-owner.tar"
check "rerun is byte-identical" cmp -s "$work/berth.tar" "$work/again-owner.tar"

# Clamping: two copies with different mtimes, all newer than the clamp, give the
# same bytes once clamped, and different bytes without it.
cp -a "$work/src" "$work/newer" && find "$work/newer" -exec touch -h -d @1700000000 {} +
cp -a "$work/src" "$work/newest" && find "$work/newest" -exec touch -h -d @1800000000 {} +
SOURCE_DATE_EPOCH=1650000000 berth_write "$work/newer" "$work/c1.tar"
SOURCE_DATE_EPOCH=1650000000 berth_write "$work/newest" "$work/c2.tar"
check "SOURCE_DATE_EPOCH makes the trees' tars identical" cmp -s "$work/c1.tar" "$work/c2.tar"
berth_write "$work/newer" "$work/n1.tar"
berth_write "$work/newest" "$work/n2.tar"
check "unclamped they differ" bash -c "! cmp -s '$work/n1.tar' '$work/n2.tar'"
check "clamped mtimes as GNU tar sees them" bash -c \
  "tar --utc -tvf '$work/c2.tar' | awk '{print \$4\" \"\$5}' | sort -u | grep -qx '2022-04-15 05:20'"

BERTH_TAR_KEEP_OWNER=1 berth_write "$work/short" "$work/dest.tar" opt/app
check "dest prefix and its parents come first" bash -c \
  "tar -tf '$work/dest.tar' | head -3 | tr '\n' ' ' | grep -qx 'opt/ opt/app/ opt/app/bin/ '"
mkdir -p "$work/dest-x"
check "dest tar extracts under the prefix" bash -c \
  "tar -xpf '$work/dest.tar' -C '$work/dest-x' && diff -r --no-dereference -x fifo '$work/short' '$work/dest-x/opt/app' >&2"

# --- berth round trip ----------------------------------------------------------------
check "berth extracts its own tar" berth_extract "$work/berth.tar" "$work/berth-x"
check "berth round trip equals the source" same_tree "$work/src" "$work/berth-x"
check "berth round trip keeps the hardlink" same_inode "$work/berth-x/etc/hello" "$work/berth-x/bin/hello-hard"

# --- GNU tar writes, berth reads -----------------------------------------------------
for fmt in gnu pax oldgnu ustar; do
  tree=src
  [[ $fmt == ustar ]] && tree=short
  if tar --format=$fmt -cpf "$work/$fmt.tar" -C "$work/$tree" . 2>"$work/tar.err"; then
    check "berth extracts GNU tar --format=$fmt" berth_extract "$work/$fmt.tar" "$work/x-$fmt"
    check "--format=$fmt extraction equals the source" same_tree "$work/$tree" "$work/x-$fmt"
    check "--format=$fmt hardlink is one inode" same_inode "$work/x-$fmt/etc/hello" "$work/x-$fmt/bin/hello-hard"
  else
    check "GNU tar --format=$fmt" false
    cat "$work/tar.err" >&2
  fi
done

# --- capabilities (root, and only where the file system keeps them) ------------------
if [[ $root -eq 1 ]] && command -v setcap >/dev/null && command -v getcap >/dev/null &&
  mkdir -p "$work/cap" && printf 'elf' >"$work/cap/ping" && setcap cap_net_raw+ep "$work/cap/ping" 2>/dev/null; then
  berth_write "$work/cap" "$work/cap.tar"
  mkdir -p "$work/cap-gnu"
  check "GNU tar restores berth's security.capability" bash -c \
    "tar --xattrs --xattrs-include='security.*' -xpf '$work/cap.tar' -C '$work/cap-gnu' && getcap '$work/cap-gnu/ping' | grep -q cap_net_raw"
  check "berth restores it with preserve_owner" bash -c \
    "'$driver' extract '$work/cap.tar' '$work/cap-berth' >/dev/null && getcap '$work/cap-berth/ping' | grep -q cap_net_raw"
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
