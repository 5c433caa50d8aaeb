"""Large blobs pulled as parallel Range GETs (issue 11), and requests without the
GET /v2/ ping.

A pull into a layout starts one GET per blob; when that GET is slow (over a long round
trip or a per-connection cap), berth splits what is left of a large blob into Range
GETs that run side by side. These cases drive that with a registry that serves Range
honestly but slowly per connection, and with registries that ignore Range, lie in
Content-Range, corrupt a segment or drop a connection mid-segment. Every case checks
the bytes in the layout (or that nothing was left as if complete), never a time."""

from __future__ import annotations

import hashlib
import os
import re

import itlib
from hostile_registry import HostileRegistry, RangeServer
from itlib import EXIT_TRANSFER, run
from test_it_crash import kill_when, temps_in

BIG = 40 << 20  # five times the 8 MiB segment minimum


def serve(reg: HostileRegistry, body: bytes, server: RangeServer) -> str:
    layer = reg.add_blob("app", body)
    reg.add_image("app", "v1", [layer])
    reg.route("GET", r"/v2/app/blobs/" + re.escape(layer["digest"]), server)
    return layer["digest"]


def pull(berth, host: str, layout: str, *args: str):
    return run([berth.binary, "pull", "--quiet", *args, host + "/app:v1", "oci:" + layout + ":t"],
               env=berth.env, check=False, timeout=120)


def starts(server: RangeServer) -> list[int]:
    return sorted(int(re.match(r"bytes=(\d+)", r).group(1)) for r in server.ranges if r)


def test_slow_large_blob_is_split_into_parallel_ranges(berth, tmp_path):
    body = os.urandom(BIG)
    with HostileRegistry() as reg:
        server = RangeServer(body, rate=8e6)  # 5 s on one connection
        d = serve(reg, body, server)
        r = pull(berth, reg.host, str(tmp_path / "l"))
        assert r.returncode == 0, r.describe()
        assert itlib.read_blob(str(tmp_path / "l"), d) == body
        itlib.verify_layout(str(tmp_path / "l"), "t")
        # the first GET was a plain one; the split added Range GETs for the rest
        assert server.ranges[0] is None
        assert len(starts(server)) >= 3, server.ranges
        assert server.most_active >= 3, server.ranges
        assert temps_in(str(tmp_path / "l")) == []


def test_fast_large_blob_stays_one_get(berth, tmp_path):
    body = os.urandom(BIG)
    with HostileRegistry() as reg:
        server = RangeServer(body)  # loopback speed: done long before a split pays
        d = serve(reg, body, server)
        r = pull(berth, reg.host, str(tmp_path / "l"))
        assert r.returncode == 0, r.describe()
        assert itlib.read_blob(str(tmp_path / "l"), d) == body
        assert server.ranges == [None]


def test_registry_that_ignores_range_gets_one_get(berth, tmp_path):
    body = os.urandom(BIG)
    with HostileRegistry() as reg:
        server = RangeServer(body, rate=16e6, honour_range=False)  # 200, whole body
        d = serve(reg, body, server)
        r = pull(berth, reg.host, str(tmp_path / "l"))
        assert r.returncode == 0, r.describe()
        assert itlib.read_blob(str(tmp_path / "l"), d) == body
        assert len(server.ranges) == 1, server.ranges


def test_corrupt_segment_is_refused_and_nothing_is_kept(berth, tmp_path):
    body = os.urandom(BIG)
    with HostileRegistry() as reg:
        server = RangeServer(body, rate=8e6, corrupt_from=BIG - 1000)  # in a later segment
        d = serve(reg, body, server)
        layout = str(tmp_path / "l")
        r = pull(berth, reg.host, layout)
        assert r.returncode == EXIT_TRANSFER, r.describe()
        assert "hashes to" in r.stderr and d in r.stderr, r.stderr
        assert len(starts(server)) >= 3, server.ranges  # the corruption was in a split GET
        assert not os.path.exists(itlib.blob_path(layout, d))
        assert temps_in(layout) == []
        assert itlib.layout_index(layout)["manifests"] == []


def test_segment_dropped_mid_way_resumes_from_its_offset(berth, tmp_path):
    body = os.urandom(BIG)
    with HostileRegistry() as reg:
        server = RangeServer(body, rate=8e6, drop_once_after=1 << 20)
        d = serve(reg, body, server)
        r = pull(berth, reg.host, str(tmp_path / "l"))
        assert r.returncode == 0, r.describe()
        assert itlib.read_blob(str(tmp_path / "l"), d) == body
        # one split GET was cut after 1 MiB; its retry starts where the bytes stopped,
        # not at the segment's start and not at 0
        firsts = [s for s in starts(server) if s > 0]
        assert any(b - a >= (1 << 20) - (64 << 10) and b - a <= (2 << 20)
                   for a in firsts for b in firsts if b > a), server.ranges
        assert server.ranges.count(None) == 1


def test_206_without_content_range_is_taken_for_the_range_asked(berth, tmp_path):
    # RFC 9110 wants Content-Range on a 206; curl and berth take the range they asked
    # for when it is missing (the digest still judges the bytes). The ECR stand-in once
    # answered ranged GETs that way.
    body = os.urandom(BIG)
    with HostileRegistry() as reg:
        server = RangeServer(body, rate=8e6, content_range=False)
        d = serve(reg, body, server)
        r = pull(berth, reg.host, str(tmp_path / "l"))
        assert r.returncode == 0, r.describe()
        assert itlib.read_blob(str(tmp_path / "l"), d) == body
        assert len(starts(server)) >= 3, server.ranges


def test_lying_content_range_is_a_clear_error(berth, tmp_path):
    body = os.urandom(BIG)
    with HostileRegistry() as reg:
        server = RangeServer(body, rate=8e6, lie_start=True)  # split GETs name other bytes
        serve(reg, body, server)
        layout = str(tmp_path / "l")
        r = pull(berth, reg.host, layout)
        assert r.returncode != 0, r.describe()
        assert "with Content-Range 'bytes" in r.stderr, r.stderr
        assert itlib.layout_index(layout)["manifests"] == []
        assert temps_in(layout) == []


def test_descriptor_larger_than_the_ranged_blob_is_named(berth, tmp_path):
    body = os.urandom(1 << 20)
    with HostileRegistry() as reg:
        layer = dict(reg.add_blob("app", body), size=64 << 20)  # the manifest lies
        reg.add_image("app", "v1", [layer])
        reg.route("GET", r"/v2/app/blobs/" + re.escape(layer["digest"]), RangeServer(body))
        layout = str(tmp_path / "l")
        r = pull(berth, reg.host, layout)
        assert r.returncode == EXIT_TRANSFER, r.describe()
        assert "has %d bytes, its descriptor says %d" % (1 << 20, 64 << 20) in r.stderr, r.stderr
        assert itlib.layout_index(layout)["manifests"] == []


def test_killed_segmented_pull_leaves_nothing_complete(berth, tmp_path):
    body = os.urandom(BIG)
    with HostileRegistry() as reg:
        server = RangeServer(body, rate=4e6)
        d = serve(reg, body, server)
        layout = str(tmp_path / "l")
        kill_when([berth.binary, "pull", "--quiet", reg.host + "/app:v1", "oci:" + layout + ":t"],
                  berth.env, lambda: server.most_active >= 3)
        assert not os.path.exists(itlib.blob_path(layout, d))
        index = os.path.join(layout, "index.json")
        assert not os.path.exists(index) or itlib.layout_index(layout)["manifests"] == []
        server.rate = None
        r = pull(berth, reg.host, layout)  # the next pull sweeps the dead writer's file
        assert r.returncode == 0, r.describe()
        assert hashlib.sha256(itlib.read_blob(layout, d)).hexdigest() == d.split(":")[1]
        assert temps_in(layout) == []


# ------------------------------------------------------------- no ping first


def test_anonymous_registry_is_never_pinged(berth, tmp_path):
    layer = itlib.tar_bytes({"a.txt": b"no ping\n"})
    with HostileRegistry() as reg:
        reg.add_image("app", "v1", [reg.add_blob("app", layer)])
        r = pull(berth, reg.host, str(tmp_path / "l"))
        assert r.returncode == 0, r.describe()
        paths = [p.split("?")[0] for _, p, _ in reg.requests]
        assert "/v2/" not in paths, paths
        assert paths[0] == "/v2/app/manifests/v1", paths


def test_token_registry_learns_the_challenge_from_the_first_401(berth, token_reg, small_image,
                                                                 tmp_path):
    ref = "%s/noping/app:v1" % token_reg.hostport
    env = itlib.clean_env(str(tmp_path / "home"))
    creds = ["--dest-creds", "%s:%s" % (token_reg.username, token_reg.password)]
    run([berth.binary, "copy", "--quiet", *creds, small_image["ref"], ref], env=env)
    with open(token_reg.log_file) as f:
        before = len(f.readlines())
    r = run([berth.binary, "pull", "--quiet", "--src-creds",
             "%s:%s" % (token_reg.username, token_reg.password), ref,
             "oci:%s:t" % (tmp_path / "l")], env=env, check=False)
    assert r.returncode == 0, r.describe()
    with open(token_reg.log_file) as f:
        lines = f.readlines()[before:]
    requests = [m.group(1) for m in (re.search(r'"((?:GET|HEAD) /v2/[^ ]*) HTTP', l)
                                     for l in lines) if m]
    assert requests, lines[-20:]
    assert "GET /v2/" not in requests, requests
    assert requests[0].startswith("GET /v2/noping/app/manifests/v1"), requests


def test_largest_blob_is_fetched_first(berth, tmp_path):
    sizes = [3000, 90000, 20000]
    with HostileRegistry() as reg:
        layers = [reg.add_blob("app", itlib.tar_bytes({"f": os.urandom(n)})) for n in sizes]
        reg.add_image("app", "v1", layers)
        r = pull(berth, reg.host, str(tmp_path / "l"), "--jobs", "1")
        assert r.returncode == 0, r.describe()
        got = [p.split("/blobs/")[1] for m, p, _ in reg.requests
               if m == "GET" and "/blobs/" in p]
        by_size = [l["digest"] for l in sorted(layers, key=lambda l: -l["size"])]
        assert [d for d in got if d in by_size] == by_size, got
