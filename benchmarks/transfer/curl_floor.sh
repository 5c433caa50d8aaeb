#!/usr/bin/env bash
# The raw-HTTP floor of the transfer benchmark: the fewest requests that move an
# image with curl alone, $CURL_JOBS (default 4) blobs at a time with xargs -P. No
# digest checks, no retries, no existence checks: a lower bound, not a client.
#
#   curl_floor.sh push LAYOUT TAG URL REPO        layout -> registry: per blob a POST
#                                                 and a monolithic PUT (-T FILE), then
#                                                 the manifest PUT
#   curl_floor.sh pull URL REPO TAG DIR           registry -> new layout DIR: manifest
#                                                 GET, a GET per blob, index.json
#   curl_floor.sh copy SRCURL SRCREPO TAG DSTURL DSTREPO
#                                                 per blob GET | POST + PUT (-T -,
#                                                 chunked), then the manifest PUT
#   curl_floor.sh noop URL REPO TAG               the no-op re-push: one manifest HEAD
#
# URL is http://HOST:PORT. Needs curl, jq, xargs, sha256sum.
set -euo pipefail
jobs=${CURL_JOBS:-4}
mt=application/vnd.oci.image.manifest.v1+json

# POST an upload session on $1/v2/$2 and print its absolute Location with the
# query separator for "digest=" appended.
start_upload() {
  local loc
  loc=$(curl -sS -f -X POST -D - -o /dev/null "$1/v2/$2/blobs/uploads/" |
    tr -d '\r' | sed -n 's/^[Ll]ocation: *//p')
  [[ $loc == /* ]] && loc=$1$loc
  if [[ $loc == *\?* ]]; then printf '%s&' "$loc"; else printf '%s?' "$loc"; fi
}

push_blob() { # URL REPO LAYOUT DIGEST
  local loc
  loc=$(start_upload "$1" "$2")
  curl -sS -f -o /dev/null -X PUT -H 'Expect:' -H 'Content-Type: application/octet-stream' \
    -T "$3/blobs/${4/://}" "${loc}digest=$4"
}

copy_blob() { # SRCURL SRCREPO DSTURL DSTREPO DIGEST
  local loc
  loc=$(start_upload "$3" "$4")
  curl -sS -f "$1/v2/$2/blobs/$5" |
    curl -sS -f -o /dev/null -X PUT -H 'Expect:' -H 'Content-Type: application/octet-stream' \
      -T - "${loc}digest=$5"
}

get_blob() { # URL REPO DIR DIGEST
  curl -sS -f -o "$3/blobs/${4/://}" "$1/v2/$2/blobs/$4"
}
export -f start_upload push_blob copy_blob get_blob

blob_digests() { jq -r '.config.digest, .layers[].digest' "$1"; }

mode=${1:?mode}
shift
case $mode in
push)
  layout=$1 tag=$2 url=$3 repo=$4
  mdig=$(jq -r --arg t "$tag" \
    '[.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t)][0].digest' \
    "$layout/index.json")
  mfile=$layout/blobs/${mdig/://}
  blob_digests "$mfile" | xargs -P"$jobs" -I{} bash -c 'push_blob "$@"' _ "$url" "$repo" "$layout" {}
  curl -sS -f -o /dev/null -X PUT -H "Content-Type: $mt" --data-binary @"$mfile" \
    "$url/v2/$repo/manifests/$tag"
  ;;
pull)
  url=$1 repo=$2 tag=$3 dir=$4
  mkdir -p "$dir/blobs/sha256"
  tmp=$dir/manifest.tmp
  curl -sS -f -H "Accept: $mt" -o "$tmp" "$url/v2/$repo/manifests/$tag"
  hex=$(sha256sum "$tmp" | cut -d' ' -f1)
  mv "$tmp" "$dir/blobs/sha256/$hex"
  blob_digests "$dir/blobs/sha256/$hex" |
    xargs -P"$jobs" -I{} bash -c 'get_blob "$@"' _ "$url" "$repo" "$dir" {}
  size=$(stat -c %s "$dir/blobs/sha256/$hex")
  printf '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"%s","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
    "$mt" "$hex" "$size" "$tag" >"$dir/index.json"
  ;;
copy)
  src=$1 srepo=$2 tag=$3 dst=$4 drepo=$5
  mfile=$(mktemp)
  trap 'rm -f "$mfile"' EXIT
  curl -sS -f -H "Accept: $mt" -o "$mfile" "$src/v2/$srepo/manifests/$tag"
  blob_digests "$mfile" |
    xargs -P"$jobs" -I{} bash -c 'copy_blob "$@"' _ "$src" "$srepo" "$dst" "$drepo" {}
  curl -sS -f -o /dev/null -X PUT -H "Content-Type: $mt" --data-binary @"$mfile" \
    "$dst/v2/$drepo/manifests/$tag"
  ;;
noop)
  url=$1 repo=$2 tag=$3
  curl -sS -f -I -o /dev/null -H "Accept: $mt" "$url/v2/$repo/manifests/$tag"
  ;;
*)
  echo "curl_floor.sh: unknown mode $mode" >&2
  exit 2
  ;;
esac
