#!/bin/sh
# Runs "$@" (skopeo) with an empty containers/image blob-info cache, so skopeo cannot
# use what it remembers from earlier runs to mount blobs from another repository of
# the same registry instead of uploading them. As root the cache is
# /var/lib/containers/cache: a tmpfs is mounted over it in a private mount namespace
# (unshare -m), leaving the real one alone. Otherwise it lives under $XDG_DATA_HOME,
# which points at a new temp dir for the run.
if [ "$(id -u)" = 0 ]; then
  mkdir -p /var/lib/containers/cache
  if unshare -m true 2>/dev/null; then
    exec unshare -m sh -c 'mount -t tmpfs berth-bench /var/lib/containers/cache && exec "$@"' sh "$@"
  fi
  echo "fresh_blob_cache.sh: no mount namespace here; skopeo keeps its blob-info cache" \
    "and may mount blobs instead of uploading them" >&2
  exec "$@"
fi
XDG_DATA_HOME=$(mktemp -d)
export XDG_DATA_HOME
"$@"
rc=$?
rm -rf "$XDG_DATA_HOME"
exit $rc
