#!/usr/bin/env bash
# SigV4 signing throughput: berth vs botocore vs npm aws4, one core each.
#
#   benchmarks/run_sigv4.sh
#
# Builds berth_sigv4_bench if needed (Release, in $BERTH_BENCH_BUILD_DIR, default
# build-bench/ — a dedicated Release tree, so a Debug or sanitizer build/ never
# skews the numbers), runs sigv4_bench, sigv4_peers.py (botocore) and sigv4_aws4.js
# (aws4) pinned to one core with taskset, checks that all of them produce the same
# signature for every request, and prints signatures/s with the ratios
# berth/botocore (goal >= 20x) and berth/aws4 (goal >= 5x).
#
# Environment:
#   BENCH_SECONDS   seconds per measurement (default 1)
#   BENCH_REPS      measurements per cell, the best is kept (default 3)
#   BENCH_CPU       the core to pin to (default 0)
#   BENCH_CLOCK     cpu (default): signatures per CPU-second of the process, robust
#                   against other load on a shared machine; wall: per elapsed second
#   BENCH_ENFORCE   1: exit 1 when a goal is missed (default: report only)
#   BERTH_BENCH_BUILD_DIR, BERTH_AWS4 (path to the aws4 package)
# A peer that is not installed (botocore, node, aws4) is reported as n/a.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
build=${BERTH_BENCH_BUILD_DIR:-$repo/build-bench}
seconds=${BENCH_SECONDS:-1}
reps=${BENCH_REPS:-3}
cpu=${BENCH_CPU:-0}
aws4_dir=${BERTH_AWS4:-$repo/.tools/node/node_modules/aws4}

if [[ ! -f $build/build.ninja ]]; then
  echo "sigv4: configuring $build (Release)" >&2
  cmake -S "$repo" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBERTH_BUILD_BENCHMARKS=ON >/dev/null
fi
if ! log=$(ninja -C "$build" berth_sigv4_bench 2>&1); then
  echo "$log" >&2
  exit 1
fi
bench=$build/benchmarks/berth_sigv4_bench

pin=()
if command -v taskset >/dev/null && taskset -c "$cpu" true 2>/dev/null; then
  pin=(taskset -c "$cpu")
else
  echo "sigv4: taskset unavailable; running unpinned" >&2
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
args=(--seconds "$seconds" --reps "$reps" --clock "${BENCH_CLOCK:-cpu}")

echo "sigv4: berth ($bench)" >&2
"${pin[@]}" "$bench" "${args[@]}" >"$out/berth"

if python3 -c 'import botocore' 2>/dev/null; then
  echo "sigv4: botocore" >&2
  "${pin[@]}" python3 "$here/sigv4_peers.py" "${args[@]}" >"$out/botocore"
else
  echo "sigv4: botocore not installed; skipped" >&2
  : >"$out/botocore"
fi

node=$(command -v node || true)
if [[ -n $node && -f $aws4_dir/aws4.js ]]; then
  echo "sigv4: aws4" >&2
  BERTH_AWS4=$aws4_dir "${pin[@]}" "$node" "$here/sigv4_aws4.js" "${args[@]}" >"$out/aws4"
else
  echo "sigv4: node or aws4 ($aws4_dir) missing; skipped (scripts/setup.sh installs aws4)" >&2
  : >"$out/aws4"
fi

python3 - "$out" "$seconds" "$reps" "$cpu" "${BENCH_ENFORCE:-0}" <<'PY'
import os, sys

out, seconds, reps, cpu, enforce = sys.argv[1:6]
sigs, rates, notes = {}, {}, []
for peer in ("berth", "botocore", "aws4"):
    for line in open(os.path.join(out, peer)):
        parts = line.split()
        if line.startswith("#"):
            notes.append(line[1:].strip())
        elif parts and parts[0] == "sig":
            sigs.setdefault(parts[2], {})[parts[1]] = parts[3]
        elif parts and parts[0] == "rate":
            rates[(parts[1], parts[2])] = float(parts[3])

bad = [(req, s) for req, s in sigs.items() if len(set(s.values())) != 1]
requests = [r for r in sigs] + ["mix"]
cols = [("berth", "berth"), ("berth-nocache", "berth no-cache"), ("berth-capi", "berth C ABI"),
        ("botocore", "botocore"), ("aws4", "aws4")]


def fmt(v):
    return f"{v:,.0f}" if v else "n/a"


def ratio(a, b):
    return f"{a / b:.1f}x" if a and b else "n/a"


head = ["request"] + [c[1] for c in cols] + ["berth/botocore", "berth/aws4"]
rows = []
for req in requests:
    vals = [rates.get((impl, req)) for impl, _ in cols]
    rows.append([req] + [fmt(v) for v in vals] +
                [ratio(rates.get(("berth", req)), rates.get(("botocore", req))),
                 ratio(rates.get(("berth", req)), rates.get(("aws4", req)))])
widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
print(f"SigV4 signatures/s, one core (cpu {cpu}), best of {reps} x {seconds}s; "
      f"berth = C++ Signer with key cache, C ABI = berth_sign_request")
for n in notes:
    print(f"  {n}")
line = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
print(line(head))
print("  ".join("-" * w for w in widths))
for r in rows:
    print(line(r))
peers = sorted({p for s in sigs.values() for p in s})
print(f"signatures agree across {', '.join(peers)}: " + ("yes" if not bad else f"NO: {bad}"))

missed = []
for peer, goal in (("botocore", 20), ("aws4", 5)):
    b, p = rates.get(("berth", "mix")), rates.get((peer, "mix"))
    if b and p:
        status = "met" if b / p >= goal else "MISSED"
        print(f"goal berth/{peer} >= {goal}x (mix): {b / p:.1f}x, {status}")
        if b / p < goal:
            missed.append(peer)
sys.exit(1 if bad or (missed and enforce == "1") else 0)
PY
