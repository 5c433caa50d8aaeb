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
