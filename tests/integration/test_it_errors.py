"""Errors the user must be able to act on: exit codes and messages."""

from __future__ import annotations

import json

import stack
from itlib import EXIT_FAILURE, EXIT_TRANSFER, EXIT_USAGE


def test_bad_reference_is_a_usage_error(plain_reg, small_image, berth, tmp_path):
    for bad in ("docker://%s/UPPER/case:v1" % plain_reg.hostport,
                "docker://%s/repo:bad tag" % plain_reg.hostport,
                "docker://%s/repo@sha256:1234" % plain_reg.hostport,
                "docker://"):
        r = berth.copy(small_image["ref"], bad, check=False)
        assert r.returncode == EXIT_USAGE, r.describe()
        assert r.stderr.startswith("berth copy: "), r.stderr
        assert "reference" in r.stderr.lower() or "invalid" in r.stderr.lower(), r.stderr
    r = berth.copy("oci:", "oci:%s:v1" % (tmp_path / "x"), check=False)
    assert r.returncode == EXIT_USAGE and "oci:DIR" in r.stderr, r.describe()
    r = berth.copy(small_image["ref"], "dir:%s" % (tmp_path / "d"), check=False)
    assert r.returncode != 0 and "dir:" in r.stderr, r.describe()


def test_missing_tag_and_repository(plain_reg, small_image, berth, repo, tmp_path):
    berth.copy(small_image["ref"], "docker://%s/%s:v1" % (plain_reg.hostport, repo))
    out = "oci:%s:x" % (tmp_path / "out")
    r = berth.copy("docker://%s/%s:nope" % (plain_reg.hostport, repo), out, check=False)
    assert r.returncode == EXIT_FAILURE, r.describe()
    assert "MANIFEST_UNKNOWN" in r.stderr and "%s:nope" % repo in r.stderr, r.stderr
    assert "not found" in r.stderr.lower() or "unknown" in r.stderr.lower()
    r = berth.copy("docker://%s/%s-absent:v1" % (plain_reg.hostport, repo), out, check=False)
    assert r.returncode == EXIT_FAILURE, r.describe()
    assert "%s-absent" % repo in r.stderr and "UNKNOWN" in r.stderr, r.stderr
    r = berth.copy("oci:%s:nope" % small_image["layout"], out, check=False)
    assert r.returncode == EXIT_FAILURE and "nope" in r.stderr, r.describe()
    assert not (tmp_path / "out" / "blobs" / "sha256").exists() or \
        list((tmp_path / "out" / "blobs" / "sha256").iterdir()) == []


def test_nothing_listening(small_image, berth):
    port = stack.free_port()
    r = berth.copy(small_image["ref"], "docker://127.0.0.1:%d/x/y:v1" % port, check=False)
    assert r.returncode == EXIT_TRANSFER, r.describe()
    assert str(port) in r.stderr and ("connect" in r.stderr.lower() or "refused" in r.stderr.lower()), r.stderr
    assert r.seconds < 20
    r = berth.copy("docker://127.0.0.1:%d/x/y:v1" % port, "oci:/nonexistent-dir-never/x:v1",
                   check=False)
    assert r.returncode == EXIT_TRANSFER, r.describe()


def test_registry_refusing_an_upload_is_a_transfer_error(plain_reg, small_image, berth, repo,
                                                         proxy_for):
    """A registry that rejects an upload session is a failure while moving bytes
    (exit 5), not a bad command line (exit 2)."""
    px = proxy_for(plain_reg)
    body = json.dumps({"errors": [{"code": "BLOB_UPLOAD_INVALID", "message": "blob upload invalid",
                                   "detail": "injected"}]})
    rule = px.fail("PUT", r"/blobs/uploads/", status=400, times=None, retry_after=None, body=body)
    r = berth.copy(small_image["ref"], "docker://%s/%s:v1" % (px.hostport, repo), check=False)
    assert rule.hits >= 1
    assert r.returncode == EXIT_TRANSFER, r.describe()
    assert "BLOB_UPLOAD_INVALID" in r.stderr and "blob upload invalid" in r.stderr, r.stderr
    assert px.find("PUT", "/manifests/") == []  # nothing tagged


def test_a_corrupt_blob_is_refused_and_not_stored(small_image, berth, tmp_path):
    """A pull into a layout is verified once, by the layout writer: a blob whose bytes
    were altered in the registry's storage fails the copy and is not kept. (A registry
    of its own: the shared one's blobs are used by other tests.)"""
    import os
    with stack.Registry() as reg:
        ref = "docker://%s/corrupt/app:v1" % reg.hostport
        berth.copy(small_image["ref"], ref)
        blobs = []
        for root, _, files in os.walk(reg.storage_dir):
            if "data" in files and "/blobs/sha256/" in root + "/":
                path = os.path.join(root, "data")
                blobs.append((os.path.getsize(path), path))
        size, biggest = max(blobs)
        with open(biggest, "r+b") as f:
            f.seek(size // 2)
            byte = f.read(1)
            f.seek(size // 2)
            f.write(bytes([byte[0] ^ 0xFF]))
        out = tmp_path / "out"
        r = berth.copy(ref, "oci:%s:v1" % out, check=False)
    assert r.returncode == EXIT_TRANSFER, r.describe()
    assert "expected sha256:" in r.stderr or "digest" in r.stderr, r.describe()
    digest_of_corrupt = os.path.basename(os.path.dirname(biggest))
    stored = os.listdir(out / "blobs" / "sha256") if (out / "blobs" / "sha256").exists() else []
    assert digest_of_corrupt not in stored
