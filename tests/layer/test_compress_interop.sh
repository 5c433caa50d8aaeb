#!/usr/bin/env bash
# Interop of berth's gzip and zstd layer output with other decoders: gzip -d, zcat,
# pigz -d, Python's gzip module, Go's compress/gzip (what Docker and containerd use)
# and zstd -d, on block-boundary samples and on a real tar streamed through
# LayerPipeline (its digest and diff_id are checked with sha256sum too).
#
# Usage: tests/layer/test_compress_interop.sh <path to berth_compress_driver> [tar input]
# (berth's side: tests/drivers/compress_driver.cpp)
# Without a tar input, $(go env GOROOT)/src or /usr/include is tar'ed. Tools that are
# not installed are skipped (and said so); any mismatch fails the script.
set -euo pipefail

bin=${1:?usage: $0 <berth_compress_driver> [input file]}
work=$(mktemp -d "${TMPDIR:-/tmp}/berth-interop.XXXXXX")
trap 'rm -rf "$work"' EXIT
samples=$work/samples
failures=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
have() { command -v "$1" >/dev/null 2>&1; }

input=${2:-}
if [[ -z $input ]]; then
  input=$work/input.tar
  if have go && [[ -d "$(go env GOROOT)/src" ]]; then
    tar -cf "$input" -C "$(go env GOROOT)" src
  else
    tar -cf "$input" -C / usr/include
  fi
fi
echo "input: $input ($(stat -c %s "$input") bytes)"

"$bin" "$samples" "$input" | grep -E 'gzip:|zstd:' || true
ls "$samples"/*.gz >/dev/null

# Digest and diff_id reported by LayerPipeline vs sha256sum of what it wrote/read.
for ext in gz zst; do
  line=$("$bin" "$work/again" "$input" |
    grep -E "$([[ $ext == gz ]] && echo gzip || echo zstd): " | head -1)
  digest=$(sed -E 's/.*digest (sha256:[0-9a-f]+).*/\1/' <<<"$line")
  diff_id=$(sed -E 's/.*diff_id (sha256:[0-9a-f]+).*/\1/' <<<"$line")
  [[ $digest == "sha256:$(sha256sum <"$work/again/input.$ext" | cut -d' ' -f1)" ]] ||
    fail "input.$ext: digest $digest is not sha256 of the blob"
  [[ $diff_id == "sha256:$(sha256sum <"$input" | cut -d' ' -f1)" ]] ||
    fail "input.$ext: diff_id $diff_id is not sha256 of the tar"
  cmp -s "$samples/input.$ext" "$work/again/input.$ext" || fail "input.$ext: not deterministic"
done

check() { # name command... : decompresses to stdout, compared with the .raw file
  local raw=$1 name=$2
  shift 2
  if ! "$@" | cmp -s - "$raw"; then fail "$name: $*"; fi
}

count=0
for gz in "$samples"/*.gz; do
  raw=${gz%.gz}.raw
  check "$raw" "gzip -d" gzip -dc "$gz"
  gzip -t "$gz" || fail "gzip -t $gz"
  have zcat && check "$raw" "zcat" zcat "$gz"
  have pigz && check "$raw" "pigz -d" pigz -dc "$gz"
  count=$((count + 1))
done
for zst in "$samples"/*.zst; do
  raw=${zst%.zst}.raw
  if have zstd; then
    check "$raw" "zstd -d" zstd -q -dc "$zst"
    zstd -q -t "$zst" || fail "zstd -t $zst"
  fi
done
have pigz || echo "pigz not installed: skipped"
have zstd || echo "zstd not installed: skipped zstd -d"

if have python3; then
  python3 - "$samples" <<'PY' || fail "python gzip"
import gzip, pathlib, sys
for gz in sorted(pathlib.Path(sys.argv[1]).glob("*.gz")):
    raw = gz.with_suffix(".raw").read_bytes()
    with gzip.open(gz, "rb") as f:
        if f.read() != raw:
            sys.exit(f"python gzip mismatch: {gz}")
print("python gzip: ok")
PY
else
  echo "python3 not installed: skipped"
fi

if have go; then
  mkdir -p "$work/go"
  cat >"$work/go/main.go" <<'GO'
package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	files, _ := filepath.Glob(filepath.Join(os.Args[1], "*.gz"))
	for _, gz := range files {
		raw, err := os.ReadFile(strings.TrimSuffix(gz, ".gz") + ".raw")
		if err != nil {
			panic(err)
		}
		f, err := os.Open(gz)
		if err != nil {
			panic(err)
		}
		r, err := gzip.NewReader(f) // multistream, as Docker and containerd read layers
		if err != nil {
			fmt.Println(gz, err)
			os.Exit(1)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, raw) {
			fmt.Println(gz, "mismatch", err)
			os.Exit(1)
		}
		f.Close()
	}
	fmt.Printf("go compress/gzip: ok (%d files)\n", len(files))
}
GO
  (cd "$work/go" && GOTOOLCHAIN=local GOFLAGS= go run main.go "$samples") || fail "go compress/gzip"
else
  echo "go not installed: skipped"
fi

echo "checked $count gzip and $(ls "$samples"/*.zst | wc -l) zstd files"
if ((failures > 0)); then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "interop: ok"
