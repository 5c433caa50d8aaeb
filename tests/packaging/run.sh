#!/usr/bin/env bash
# Installs berth into a temporary prefix and builds small consumers against the
# installed tree only: once with CMake's find_package(berth), once with pkg-config
# (berth.pc on libberth.so, berth-static.pc on libberth.a).
set -euo pipefail
src=$1
build=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(dirname "$(find "$prefix" -name 'libberth.so' | head -n 1)")

# 1. find_package(berth): a C program on the shared library and a C++ program on
#    the static library's C++ API.
cmake -S "$src/tests/packaging/consumer" -B "$work/cmake-build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/cmake-build" >/dev/null
LD_LIBRARY_PATH="$libdir" "$work/cmake-build/consumer_c"
"$work/cmake-build/consumer_cpp"
# The C consumer must load libberth from the install, not the build tree.
LD_LIBRARY_PATH="$libdir" ldd "$work/cmake-build/consumer_c" | grep "$libdir/libberth.so.2" >/dev/null

# 2. pkg-config.
export PKG_CONFIG_PATH="$libdir/pkgconfig"
cc -std=c99 -Wall -Werror $(pkg-config --cflags berth) "$src/tests/packaging/consumer/consumer.c" \
  -o "$work/consumer_pc" $(pkg-config --libs berth)
LD_LIBRARY_PATH="$libdir" "$work/consumer_pc"

# 3. berth-static.pc: libberth.a and every library it needs, from the .pc alone. The
#    program runs without libberth.so.2 anywhere on the loader path.
cc -std=c99 -Wall -Werror $(pkg-config --cflags berth-static) "$src/tests/packaging/consumer/consumer.c" \
  -o "$work/consumer_static" $(pkg-config --libs berth-static)
if grep -q 'NEEDED.*libberth' <<<"$(readelf -d "$work/consumer_static")"; then
  echo "consumer_static needs libberth.so:"
  readelf -d "$work/consumer_static" | grep NEEDED
  exit 1
fi
env -u LD_LIBRARY_PATH "$work/consumer_static"
echo "packaging: find_package, pkg-config and static pkg-config consumers built and ran"
