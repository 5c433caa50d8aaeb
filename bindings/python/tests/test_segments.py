"""berth.copy from a registry whose connections are slow into a layout, through the
binding: a large blob comes as parallel Range GETs (issue 11) and lands whole.

The registry is the integration suite's hostile one serving the blob honestly with
Range, at 8 MB/s per connection; the result is judged by the bytes in the layout and
by the requests the registry saw, never by a time."""

from __future__ import annotations

import hashlib
import os
import re
import sys
from pathlib import Path

import berth

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tests" / "integration"))
from hostile_registry import HostileRegistry, RangeServer  # noqa: E402


def test_slow_large_blob_comes_in_parallel_ranges(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    body = os.urandom(40 << 20)
    with HostileRegistry() as reg:
        layer = reg.add_blob("app", body)
        reg.add_image("app", "v1", [layer])
        server = RangeServer(body, rate=8e6)
        reg.route("GET", r"/v2/app/blobs/" + re.escape(layer["digest"]), server)
        layout = tmp_path / "l"
        result = berth.copy(f"{reg.host}/app:v1", f"oci:{layout}:v1")
        assert result.blobs_copied == 2  # the layer and the config
        stored = layout / "blobs" / "sha256" / layer["digest"].split(":")[1]
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == layer["digest"][7:]
        assert server.ranges[0] is None  # a plain GET first, Range GETs after the split
        assert len(server.ranges) >= 3 and server.most_active >= 3, server.ranges


def _put_image(registry_url: str, repo: str, tag: str, layer: bytes) -> str:
    """Pushes a one-layer image to a registry with plain HTTP (monolithic PUTs), so
    that what is served comes from the registry itself; returns the layer's digest."""
    import json
    import urllib.request

    def put_blob(data: bytes) -> str:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        req = urllib.request.Request(f"{registry_url}/v2/{repo}/blobs/uploads/", method="POST")
        with urllib.request.urlopen(req, timeout=60) as r:
            location = r.headers["Location"]
        if location.startswith("/"):
            location = registry_url + location
        sep = "&" if "?" in location else "?"
        req = urllib.request.Request(f"{location}{sep}digest={digest}", data=data, method="PUT",
                                     headers={"Content-Type": "application/octet-stream"})
        urllib.request.urlopen(req, timeout=60).close()
        return digest

    config = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
    config_digest, layer_digest = put_blob(config), put_blob(layer)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": config_digest, "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": layer_digest, "size": len(layer)}]}).encode()
    req = urllib.request.Request(
        f"{registry_url}/v2/{repo}/manifests/{tag}", data=manifest, method="PUT",
        headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    urllib.request.urlopen(req, timeout=60).close()
    return layer_digest


def test_segmented_pull_progress_counts_every_segment(tmp_path, monkeypatch):
    """Issue 24: the progress of a blob split into Range GETs counts each segment's
    bytes as they arrive. Counting only the in-order prefix (what the hasher has
    absorbed) stood still while later segments filled, then jumped by whole segments
    when the first one ended. Here a real docker-registry serves the blob through a
    proxy that holds each response to 8 MB/s: the counts the callback sees must grow
    in small steps (no jump of a segment's size), only grow, never pass the size, and
    end at it."""
    import shutil

    import pytest

    if not shutil.which(os.environ.get("BERTH_DOCKER_REGISTRY", "docker-registry")):
        pytest.skip("needs docker-registry")
    import stack

    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    size = 40 << 20  # five times the 8 MiB segment minimum
    body = os.urandom(size)
    with stack.Registry() as reg, stack.FaultProxy(reg) as proxy:
        digest = _put_image(reg.url, "app", "v1", body)
        proxy.slow_response("GET", r"/v2/app/blobs/" + re.escape(digest), rate=8e6)
        events = []
        layout = tmp_path / "l"
        result = berth.copy(f"{proxy.hostport}/app:v1", f"oci:{layout}:v1",
                            progress=lambda p: events.append(p) and None)
        assert result.blobs_copied == 2
        stored = layout / "blobs" / "sha256" / digest.split(":")[1]
        assert hashlib.sha256(stored.read_bytes()).hexdigest() == digest[7:]
        # It was split: a plain GET and Range GETs for the rest, served by the registry.
        gets = proxy.find("GET", r"/blobs/" + re.escape(digest))
        ranges = [g["headers"].get("range") for g in gets]
        assert ranges[0] is None and len([r for r in ranges if r]) >= 2, ranges
        assert all(g["status"] in (200, 206) for g in gets), gets

    counts = [e.bytes for e in events if e.digest == digest and e.event == "blob_progress"]
    assert counts == sorted(counts) and counts[-1] == size, counts
    assert all(0 < c <= size for c in counts)
    # Every report follows the previous one by about what one segment flushes (1 MiB),
    # a few segments at most; the in-order count jumped by a whole segment (~9 MiB).
    steps = [b - a for a, b in zip([0] + counts, counts)]
    assert max(steps) <= 4 << 20, [s >> 10 for s in steps]
    assert len(counts) >= 20, counts
    done = [e for e in events if e.digest == digest and e.event == "blob_done"]
    assert len(done) == 1 and done[0].bytes == done[0].total == size
    overall = [e.overall_bytes for e in events]
    assert overall == sorted(overall) and all(e.overall_bytes <= e.overall_total for e in events)
