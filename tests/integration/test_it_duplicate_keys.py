"""Documents that name a key twice are refused (issue 20, item 3).

Go's encoding/json — skopeo, crane, containerd, the registries — reads the last of
duplicate keys; rapidjson's look-ups read the first. A manifest with two "layers"
would be one filesystem to `berth export`/`sbom` and another to `crane export`: the
parser-differential backdoor. berth refuses such documents wherever it reads one from
outside, and says which key."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.parse

import itlib


def push_blob(reg, repo: str, data: bytes) -> dict:
    status, headers, _ = reg.request("POST", "/v2/%s/blobs/uploads/" % repo)
    assert status == 202, status
    location = {k.lower(): v for k, v in headers.items()}["location"]
    parsed = urllib.parse.urlsplit(location)
    digest = itlib.sha256(data)
    path = parsed.path + "?" + (parsed.query + "&" if parsed.query else "") + \
        "digest=" + urllib.parse.quote(digest)
    status, _, body = reg.request("PUT", path, data,
                                  {"Content-Type": "application/octet-stream"})
    assert status == 201, (status, body)
    return {"digest": digest, "size": len(data)}


def push_duplicate_layers(reg, repo: str) -> tuple[bytes, str]:
    """An image whose manifest names "layers" twice: first a layer with /good, then
    (what Go readers see) one with /evil. Returns the manifest bytes and its digest."""
    good = push_blob(reg, repo, itlib.tar_bytes({"good": b"seen by berth's first read\n"}))
    evil = push_blob(reg, repo, itlib.tar_bytes({"evil": b"seen by Go readers\n"}))
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "config": {},
        "rootfs": {"type": "layers", "diff_ids": [good["digest"]]}}).encode()
    cfg = push_blob(reg, repo, config)
    layer = '{"mediaType":"%s","digest":"%%s","size":%%d}' % itlib.OCI_LAYER_TAR
    raw = ('{"schemaVersion":2,"mediaType":"%s","config":{"mediaType":"%s","digest":"%s",'
           '"size":%d},"layers":[%s],"layers":[%s]}' % (
               itlib.OCI_MANIFEST, itlib.OCI_CONFIG, cfg["digest"], cfg["size"],
               layer % (good["digest"], good["size"]),
               layer % (evil["digest"], evil["size"]))).encode()
    status, _, body = reg.request("PUT", "/v2/%s/manifests/dup" % repo, raw,
                                  {"Content-Type": itlib.OCI_MANIFEST})
    assert status == 201, (status, body)  # the registry (Go) takes it as-is
    return raw, itlib.sha256(raw)


def test_manifest_with_duplicate_layers_is_refused(berth, plain_reg, repo, tmp_path):
    push_duplicate_layers(plain_reg, repo)
    ref = "%s/%s:dup" % (plain_reg.hostport, repo)
    out = tmp_path / "rootfs"
    for cmd in (["export", ref, str(out)], ["sbom", ref], ["inspect", ref],
                ["copy", ref, "oci:%s:x" % (tmp_path / "layout")]):
        r = itlib.run([berth.binary] + cmd, env=berth.env, check=False)
        assert r.returncode != 0, (cmd, r.describe())
        assert '"layers" twice' in r.stderr, (cmd, r.stderr)
        assert r.stdout == "", (cmd, r.stdout)
    # validate reports every failure as its result, on stdout, and exits 4.
    r = itlib.run([berth.binary, "validate", ref], env=berth.env, check=False)
    assert r.returncode == 4, r.describe()
    assert '"layers" twice' in r.stdout, r.describe()
    # Nothing was written as if complete.
    assert not out.exists() or not any(out.iterdir())
    index = tmp_path / "layout" / "index.json"
    assert not index.exists() or json.loads(index.read_text())["manifests"] == []


def test_go_readers_see_the_last_layers(plain_reg, repo, tmp_path):
    """Why the refusal matters: crane (Go) reads the second "layers"."""
    crane = itlib.find_crane()
    if crane is None:
        import pytest
        pytest.fail("crane is not installed (scripts/setup.sh installs it)", pytrace=False)
    push_duplicate_layers(plain_reg, repo)
    ref = "%s/%s:dup" % (plain_reg.hostport, repo)
    manifest = json.loads(subprocess.run([crane, "manifest", "--insecure", ref], check=True,
                                         capture_output=True).stdout)
    assert len(manifest["layers"]) == 1
    exported = subprocess.run([crane, "export", "--insecure", ref, "-"], check=True,
                              capture_output=True).stdout
    assert b"evil" in exported and b"good" not in exported


def test_config_with_duplicate_key_in_a_layout_is_refused(berth, tmp_path):
    """An image config naming "os" twice (linux first, windows last) is refused."""
    layout = str(tmp_path / "l")
    desc = itlib.make_layout_image(layout, "v1", [itlib.tar_bytes({"a": b"a"})])
    manifest = json.loads(itlib.read_blob(layout, desc["digest"]))
    cfg_raw = itlib.read_blob(layout, manifest["config"]["digest"]).decode()
    dup = cfg_raw[:-1] + ',"os":"windows"}'
    cdesc = itlib.write_blob(layout, dup.encode())
    manifest["config"].update(digest=cdesc["digest"], size=cdesc["size"])
    mdesc = itlib.write_blob(layout, json.dumps(manifest).encode())
    itlib.set_layout_tag(layout, "dup", {"mediaType": itlib.OCI_MANIFEST, **mdesc})
    r = itlib.run([berth.binary, "inspect", "oci:%s:dup" % layout], env=berth.env, check=False)
    assert r.returncode != 0
    assert '"os" twice' in r.stderr, r.stderr
    assert os.path.exists(layout)
