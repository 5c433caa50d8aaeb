#!/usr/bin/env bash
# The Go binding as a user gets it: `go get` of the module (served by a file-based
# module proxy made from this checkout, as proxy.golang.org would serve a tagged
# release), against libberth installed into a temporary prefix. A program outside
# the repository is built twice:
#   - default: libberth.so through berth.pc; it runs with LD_LIBRARY_PATH;
#   - -tags berth_static: libberth.a through berth-static.pc; it needs no libberth.so.
# Also: go vet of the binding with and without the tag, and its examples under the tag.
#   test_go_module.sh SRC BUILD_DIR
set -euo pipefail
src=$(cd "$1" && pwd)
build=$2
work=$(mktemp -d)
# The module cache is private to this run (a fake v0.1.0 must not land in the
# user's cache); -modcacherw lets it be deleted.
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
module=github.com/berth-project/berth/bindings/go
version=v0.1.0
expected_sig=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31
unset LD_LIBRARY_PATH PKG_CONFIG_PATH BERTH_LIBRARY

prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >/dev/null
libdir=$(dirname "$(find "$prefix" -name 'libberth.so' | head -n 1)")

# 1. A module proxy holding the binding at $version: list, .info, .mod and the .zip
#    whose files sit under "$module@$version/", as `go mod download` expects.
python3 - "$src/bindings/go" "$work/proxy" "$module" "$version" <<'PY'
import json, os, sys, zipfile
pkg, proxy, module, version = sys.argv[1:]
d = os.path.join(proxy, module, "@v")
os.makedirs(d)
with open(os.path.join(d, "list"), "w") as f:
    f.write(version + "\n")
with open(os.path.join(d, version + ".info"), "w") as f:
    json.dump({"Version": version, "Time": "2026-01-01T00:00:00Z"}, f)
with open(os.path.join(pkg, "go.mod"), "rb") as f, open(os.path.join(d, version + ".mod"), "wb") as g:
    g.write(f.read())
with zipfile.ZipFile(os.path.join(d, version + ".zip"), "w") as z:
    for root, dirs, files in os.walk(pkg):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            z.write(path, f"{module}@{version}/" + os.path.relpath(path, pkg))
PY

# 2. A fresh module outside the checkout, with only the proxy to get berth from.
export GOPROXY="file://$work/proxy" GONOSUMDB="github.com/berth-project" GOFLAGS=-modcacherw
export GOMODCACHE="$work/modcache" GOTOOLCHAIN=local
app=$work/app
mkdir -p "$app"
cp "$src/tests/packaging/go_consumer/main.go" "$app/"
(cd "$app" && go mod init example.com/berthuser >/dev/null 2>&1 && go get "$module@$version")
grep -q "$module $version" "$app/go.mod" || { cat "$app/go.mod"; exit 1; }

# 3. Shared: the documented PKG_CONFIG_PATH, then LD_LIBRARY_PATH to run.
# Go's build cache keys a cgo package on CGO_CFLAGS but not on pkg-config's output,
# so a cached build of the binding would link an earlier run's (deleted) prefix.
# Naming this run's prefix in CGO_CFLAGS (an -I pkg-config gives anyway) keys it.
export CGO_CFLAGS="-O2 -g -I$prefix/include"
export PKG_CONFIG_PATH="$libdir/pkgconfig"
(cd "$app" && go vet ./... && go build -o "$work/app-shared" .)
grep -q 'NEEDED.*libberth.so.2' <<<"$(readelf -d "$work/app-shared")" ||
  { echo "the default build does not link libberth.so.2"; exit 1; }
out=$(LD_LIBRARY_PATH="$libdir" "$work/app-shared")
[[ $out == "berth 0.1.0 signature $expected_sig" ]] || { echo "shared: $out"; exit 1; }
echo "go get + pkg-config berth: $out"

# 4. Static: libberth.a inside; runs with no libberth anywhere on the loader path.
(cd "$app" && go vet -tags berth_static ./... && go build -tags berth_static -o "$work/app-static" .)
if grep -q 'NEEDED.*libberth' <<<"$(readelf -d "$work/app-static")"; then
  echo "the berth_static build still needs libberth.so:"
  readelf -d "$work/app-static" | grep NEEDED
  exit 1
fi
out=$("$work/app-static")
[[ $out == "berth 0.1.0 signature $expected_sig" ]] || { echo "static: $out"; exit 1; }
echo "go get + -tags berth_static: $out"

# 5. The binding itself: vet clean both ways; the runnable examples under the tag.
cd "$src/bindings/go"
unset GOPROXY GONOSUMDB GOMODCACHE
go vet ./...
go vet -tags berth_static ./...
go test -count=1 -tags berth_static -run '^Example' -v . | grep -E '^(--- |ok|FAIL|PASS)'
echo "go module: go get, shared and berth_static builds, vet and examples passed"
