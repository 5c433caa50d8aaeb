"""The limits of berth_copy_options version 4 through the binding: export's bomb caps
and device nodes, and the timeouts of a copy."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import socket
import stat
import tarfile
import threading
import time
from pathlib import Path

import pytest

import berth


def _blob(layout: Path, data: bytes) -> dict:
    d = hashlib.sha256(data).hexdigest()
    (layout / "blobs" / "sha256").mkdir(parents=True, exist_ok=True)
    (layout / "blobs" / "sha256" / d).write_bytes(data)
    return {"digest": "sha256:" + d, "size": len(data)}


def make_image(layout: Path, tar: bytes) -> str:
    """A one-layer OCI layout tagged v1; returns 'oci:DIR:v1'."""
    layer = _blob(layout, gzip.compress(tar, mtime=0))
    config = _blob(layout, json.dumps({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers",
                   "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]}}).encode())
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **layer}]}
    ).encode()
    m = _blob(layout, manifest)
    (layout / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    (layout / "index.json").write_text(json.dumps({
        "schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json", **m,
            "annotations": {"org.opencontainers.image.ref.name": "v1"}}]}))
    return "oci:%s:v1" % layout


def tar_of(entries) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for ti, data in entries:
            tf.addfile(ti, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def file_entry(name: str, data: bytes):
    ti = tarfile.TarInfo(name)
    ti.size, ti.mode = len(data), 0o644
    return ti, data


def test_export_stops_a_bomb_unless_the_ratio_is_off(tmp_path):
    src = make_image(tmp_path / "bomb", tar_of([file_entry("zeros", bytes(40 << 20))]))
    with pytest.raises(berth.TooLargeError, match="expansion ratio"):
        berth.export(src, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # a new directory appears only when complete
    with pytest.raises(berth.TooLargeError, match="expansion ratio"):
        berth.export(src, tmp_path / "out", max_expansion_ratio=100)
    berth.export(src, tmp_path / "ok", max_expansion_ratio=0)
    assert (tmp_path / "ok" / "zeros").stat().st_size == 40 << 20
    with pytest.raises(berth.TooLargeError):
        berth.export(src, tmp_path / "small", max_expansion_ratio=0, max_size=1 << 20)


def test_export_devices_only_when_asked(tmp_path):
    dev = tarfile.TarInfo("dev/sda")
    dev.type, dev.mode, dev.devmajor, dev.devminor = tarfile.BLKTYPE, 0o666, 8, 0
    src = make_image(tmp_path / "dev", tar_of([(dev, None), file_entry("etc/motd", b"hi\n")]))
    berth.export(src, tmp_path / "skipped")
    assert (tmp_path / "skipped" / "etc" / "motd").read_bytes() == b"hi\n"
    assert not os.path.lexists(tmp_path / "skipped" / "dev" / "sda")
    berth.export(src, tmp_path / "made", devices=True)
    if os.geteuid() == 0:
        st = os.lstat(tmp_path / "made" / "dev" / "sda")
        assert stat.S_ISBLK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600
    else:
        assert not os.path.lexists(tmp_path / "made" / "dev" / "sda")


def test_a_stalled_registry_times_out(tmp_path):
    """A registry that accepts the connection and never answers: stall_timeout ends it."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    held = []

    def accept():
        while True:
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            held.append(conn)  # read nothing, answer nothing

    threading.Thread(target=accept, daemon=True).start()
    try:
        ref = "127.0.0.1:%d/app:v1" % srv.getsockname()[1]
        # A server that stalls twice is not waited for a third time, and the error
        # gives the real total, not one attempt's.
        started = time.monotonic()
        with pytest.raises(berth.BerthTimeoutError, match=r"\(2 tries over \d+ s\)"):
            berth.copy(ref, "oci:%s:v1" % (tmp_path / "l"), stall_timeout=1, timeout=20)
        assert time.monotonic() - started < 15
        # A builtin TimeoutError too, as copy's docstring promises.
        with pytest.raises(TimeoutError, match="time limit") as caught:
            berth.copy(ref, "oci:%s:v1" % (tmp_path / "l"), timeout=1.5, stall_timeout=0)
        assert isinstance(caught.value, berth.BerthTimeoutError)
    finally:
        srv.close()
        for c in held:
            c.close()


def test_limit_arguments_are_checked():
    with pytest.raises(berth.InvalidArgumentError):
        berth.copy("a", "oci:/nonexistent:x", timeout=-1)
    with pytest.raises(berth.InvalidArgumentError):
        berth.copy("a", "oci:/nonexistent:x", chunk_size=1000)
    with pytest.raises(TypeError):
        berth.copy("a", "oci:/nonexistent:x", stall_timeout="1s")


# ---------------------------------------------------------------------------------
# Referrers (berth_copy_options version 4: no_referrers, artifact_types)


def attach(layout: Path, subject_digest: str, subject_size: int, artifact_type: str) -> str:
    """An artifact manifest whose subject is the image, as an untagged index.json entry."""
    cfg = _blob(layout, b"{}")
    layer = _blob(layout, b"payload of " + artifact_type.encode())
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": artifact_type,
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", **cfg},
        "layers": [{"mediaType": "application/octet-stream", **layer}],
        "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": subject_digest, "size": subject_size}}).encode()
    m = _blob(layout, manifest)
    idx = json.loads((layout / "index.json").read_text())
    idx["manifests"].append({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                             "artifactType": artifact_type, **m})
    (layout / "index.json").write_text(json.dumps(idx))
    return m["digest"]


@pytest.fixture(scope="module")
def plain_registry():
    import stack

    with stack.Registry() as reg:
        yield reg


def test_referrers_follow_unless_told_not_to(tmp_path, plain_registry):
    import urllib.request

    layout = tmp_path / "signed"
    src = make_image(layout, tar_of([file_entry("app", b"app\n")]))
    top = json.loads((layout / "index.json").read_text())["manifests"][0]
    sbom = attach(layout, top["digest"], top["size"], "application/vnd.example.sbom")
    host = plain_registry.hostport

    def referrers_tag(repo: str):
        url = "http://%s/v2/%s/manifests/%s" % (host, repo, top["digest"].replace(":", "-"))
        req = urllib.request.Request(url, headers={
            "Accept": "application/vnd.oci.image.index.v1+json"})
        try:
            with urllib.request.urlopen(req) as r:
                return [m["digest"] for m in json.load(r)["manifests"]]
        except urllib.error.HTTPError as e:
            assert e.code == 404
            return None

    berth.copy(src, "docker://%s/py/signed:v1" % host)
    assert referrers_tag("py/signed") == [sbom]
    berth.copy(src, "docker://%s/py/unsigned:v1" % host, referrers=False)
    assert referrers_tag("py/unsigned") is None
    berth.copy(src, "docker://%s/py/filtered:v1" % host, artifact_types=["application/other"])
    assert referrers_tag("py/filtered") is None
    berth.copy(src, "docker://%s/py/sbom:v1" % host,
               artifact_types=["application/vnd.example.sbom"])
    assert referrers_tag("py/sbom") == [sbom]
    with pytest.raises(TypeError):
        berth.copy(src, "oci:%s:x" % (tmp_path / "x"), referrers="no")


# ---------------------------------------------------------------------------------
# Signatures (berth_sign / berth_verify), on a layout: keys made with OpenSSL


def test_sign_and_verify_a_layout(tmp_path):
    import subprocess

    src = make_image(tmp_path / "img", tar_of([file_entry("app", b"app\n")]))
    keys = {}
    for name in ("a", "b"):
        key, pub = tmp_path / (name + ".key"), tmp_path / (name + ".pub")
        subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout",
                        "-out", str(key)], check=True, capture_output=True)
        subprocess.run(["openssl", "ec", "-in", str(key), "-pubout", "-out", str(pub)],
                       check=True, capture_output=True)
        keys[name] = (key, pub)
    with pytest.raises(berth.GateFailedError, match="not signed"):
        berth.verify(src, keys["a"][1])
    digest = berth.sign(src, keys["a"][0])
    r = berth.verify(src, keys["a"][1])
    assert (r["digest"], r["valid"]) == (digest, 1)
    assert r["payloads"][0]["critical"]["image"]["docker-manifest-digest"] == digest
    with pytest.raises(berth.GateFailedError, match="none of 1"):
        berth.verify(src, keys["b"][1])
    with pytest.raises(berth.ConfigError):
        berth.sign(src, keys["a"][1])  # a public key cannot sign
    # an attestation lands under the ".att" tag cosign verify-attestation reads
    assert berth.attest(src, keys["a"][0], {"spdxVersion": "SPDX-2.3"},
                        predicate_type="https://spdx.dev/Document") == digest
    tags = [m.get("annotations", {}).get("org.opencontainers.image.ref.name")
            for m in json.loads((tmp_path / "img" / "index.json").read_text())["manifests"]]
    assert digest.replace(":", "-") + ".att" in tags
    with pytest.raises(berth.ProtocolError):
        berth.attest(src, keys["a"][0], "{not json", predicate_type="x")


def test_export_refuses_a_ratio_that_is_not_a_number(tmp_path):
    """NaN compared false with everything and switched the cap off (issue 20, item 9):
    the C ABI refuses it, whatever binding passed it."""
    src = make_image(tmp_path / "bomb", tar_of([file_entry("zeros", bytes(40 << 20))]))
    for bad in (float("nan"), float("inf")):
        with pytest.raises(berth.InvalidArgumentError, match="max_expansion_ratio"):
            berth.export(src, tmp_path / "out", max_expansion_ratio=bad)
    assert not (tmp_path / "out").exists()
