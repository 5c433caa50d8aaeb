"""berth replicate: one read of the source fanned out to several registries. The
fan-out does not hash the stream when every destination is a registry (each checks
the digest at the upload's final PUT); a lying source must still be caught there."""

from __future__ import annotations

import json
import os

import itlib
from hostile_registry import HostileRegistry
from itlib import run


def test_corrupt_source_blob_reaches_no_destination(berth, plain_reg, v3_reg, repo):
    real = itlib.tar_bytes({"data.bin": os.urandom(1 << 20)})
    evil = bytearray(real)
    evil[len(evil) // 2] ^= 0xFF
    with HostileRegistry() as src:
        layer = src.add_blob("app", real, served=bytes(evil))
        src.add_image("app", "v1", [layer])
        dsts = ["%s/%s:v1" % (reg.hostport, repo) for reg in (plain_reg, v3_reg)]
        r = run([berth.binary, "replicate", "--quiet", src.host + "/app:v1", *dsts],
                env=berth.env, check=False)
        assert r.returncode != 0, r.describe()
        assert layer["digest"] in r.stderr, r.stderr
        for reg in (plain_reg, v3_reg):
            st, _, body = reg.request("GET", "/v2/%s/tags/list" % repo)
            assert st == 404 or json.loads(body).get("tags") in (None, []), (st, body)
            st, _, _ = reg.request("HEAD", "/v2/%s/blobs/%s" % (repo, layer["digest"]))
            assert st == 404, st
        # the honest source replicates to both
        src.blobs["app/" + layer["digest"]] = real
        r = run([berth.binary, "replicate", "--quiet", src.host + "/app:v1", *dsts],
                env=berth.env, check=False)
        assert r.returncode == 0, r.describe()
        for reg in (plain_reg, v3_reg):
            assert itlib.registry_tags(reg, repo) == ["v1"]
