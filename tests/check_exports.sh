#!/usr/bin/env bash
# Fails when libberth.so exports any defined symbol that is not berth_*.
set -euo pipefail
lib=$1
syms=$(nm -D --defined-only "$lib" | awk '$2 != "A" {print $3}')
bad=$(grep -v '^berth_' <<<"$syms" || true)
count=$(grep -c '^berth_' <<<"$syms" || true)
if [[ -n $bad ]]; then
  echo "libberth exports symbols outside berth_*:" >&2
  echo "$bad" | head -20 >&2
  exit 1
fi
[[ $count -gt 0 ]] || { echo "libberth exports no berth_* symbols at all" >&2; exit 1; }
echo "exported symbols: $count, all berth_*"
